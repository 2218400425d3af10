"""A lint finding: code, severity, one-line message, a separate help line, and a source position."""

from __future__ import annotations

from dataclasses import dataclass, replace

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Issue:
    """One finding. `line`/`column` are 1-based positions in the source file (before Jinja); 0 = unknown."""

    code: str
    message: str
    help: str = ""
    file: str = ""
    line: int = 0
    column: int = 0
    severity: str = ERROR

    @property
    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    def with_severity(self, severity: str) -> Issue:
        return replace(self, severity=severity)

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message, "help": self.help,
                "file": self.file, "line": max(self.line, 1) if self.file else self.line,
                "column": max(self.column, 1) if self.file else self.column}


def at(loc, code: str, message: str, help: str = "", severity: str | None = None) -> Issue:
    """An Issue at a spec `Loc` (anything with file/line/column)."""
    return Issue(code=code, message=message, help=help, file=getattr(loc, "file", "") or "",
                 line=getattr(loc, "line", 0) or 0, column=getattr(loc, "column", 0) or 0,
                 severity=severity or ERROR)
