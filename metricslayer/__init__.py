"""metricslayer: one shared, tested definition of every business metric, compiled to SQL for any warehouse."""

from .errors import (
    DefinitionError,
    EngineError,
    MetricsLayerError,
    ProjectError,
    QueryError,
    UnsupportedError,
)
from .project import Project, load_project
from .result import Result

__all__ = [
    "DefinitionError",
    "EngineError",
    "MetricsLayerError",
    "Project",
    "ProjectError",
    "QueryError",
    "Result",
    "UnsupportedError",
    "load_project",
]
__version__ = "0.1.0"
