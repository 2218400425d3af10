"""One exception hierarchy for every user-facing error, plus a did-you-mean helper.

Imports nothing from the package, so every module can raise these.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Return up to `limit` candidates closest to `name`, best first."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=limit, cutoff=0.6)
    if len(close) < limit:
        # A name that ends like the asked one (``region`` for ``customer__region``) is a good hint too.
        tail = name.rsplit("__", 1)[-1]
        close += [c for c in pool if c.rsplit("__", 1)[-1] == tail and c not in close][: limit - len(close)]
    return close


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A help sentence naming the closest candidates, or '' when nothing is close."""
    close = suggest(name, candidates)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


class MetricsLayerError(Exception):
    """Base of every error metricslayer raises on purpose.

    ``message`` states the problem, ``help`` the fix; ``file``/``line``/``column`` locate it when known.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        help: str = "",
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.message = message
        self.help = help
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self.render())

    @property
    def location(self) -> str:
        if not self.file:
            return ""
        parts = [str(self.file)]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.help:
            text += f"\n  help: {self.help}"
        return text


class DefinitionError(MetricsLayerError):
    """A YAML, Jinja or schema problem in the project's definition files."""


class ProjectError(MetricsLayerError):
    """The project or profile cannot be set up (missing files, bad profiles.yml, unknown target)."""


class QueryError(MetricsLayerError):
    """A query asks for something the definitions cannot answer (unknown name, unreachable dimension)."""


class EngineError(MetricsLayerError):
    """The warehouse failed to run a query, or its driver is missing."""

    exit_code = 1


class UnsupportedError(QueryError):
    """The target engine or dialect cannot express what the query needs."""
