"""Read-only descriptions of what a project defines, for `list` commands and BI tools."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    name: str
    type: str
    label: str
    description: str
    owner: str
    department: str
    file: str
    line: int


@dataclass(frozen=True)
class DimensionInfo:
    """A group-by item, named as a query asks for it (``customer__region``, ``metric_time__month``)."""

    name: str
    type: str  # categorical | time
    description: str
    semantic_model: str


@dataclass(frozen=True)
class EntityInfo:
    name: str
    type: str  # primary | unique | foreign | natural
    description: str
    semantic_model: str


@dataclass(frozen=True)
class SavedQueryInfo:
    name: str
    description: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    where: tuple[str, ...]
