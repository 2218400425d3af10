"""Finding a project's settings and definition files on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DefinitionError, ProjectError
from .ldict import LDict

PROJECT_FILE = "metricslayer.yml"
DBT_PROJECT_FILE = "dbt_project.yml"
PROJECT_FILES = (PROJECT_FILE, "metricslayer.yaml", DBT_PROJECT_FILE)
SKIPPED_FILES = {"profiles.yml", "profiles.yaml", PROJECT_FILE, "metricslayer.yaml", DBT_PROJECT_FILE,
                 ".pre-commit-hooks.yaml", ".pre-commit-config.yaml"}
SKIPPED_DIRS = {"target", "dbt_packages", "logs", "node_modules", "venv", "__pycache__", "site-packages"}


@dataclass
class ProjectSettings:
    """What metricslayer.yml (or dbt_project.yml) says about the project."""

    root: Path
    name: str = ""
    profile: str | None = None
    definition_paths: list[str] | None = None
    model_paths: list[str] = field(default_factory=lambda: ["models"])
    macro_paths: list[str] = field(default_factory=lambda: ["macros"])
    vars: dict[str, Any] = field(default_factory=dict)
    dialect: str | None = None
    lint: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    file: str | None = None


def read_settings(root: Path) -> ProjectSettings:
    """Read metricslayer.yml, else dbt_project.yml, else defaults."""
    if not root.is_dir():
        raise ProjectError(f"project directory {str(root)!r} does not exist",
                           help="pass --project-dir with a folder that holds metricslayer.yml or your YAML files")
    from .yamlfile import parse_yaml_documents

    settings = ProjectSettings(root=root)
    for name in (PROJECT_FILE, "metricslayer.yaml", DBT_PROJECT_FILE):
        path = root / name
        if path.is_file():
            docs = parse_yaml_documents(path.read_text(encoding="utf-8"), name)
            raw = docs[0] if docs else LDict()
            if not isinstance(raw, dict):
                raise DefinitionError("the project file must be a mapping of settings", file=name, line=1,
                                      help="write settings as 'key: value' lines, e.g. 'name: my_project'")
            _apply_settings(settings, raw, name, dbt=(name == DBT_PROJECT_FILE))
            break
    return settings


def _apply_settings(settings: ProjectSettings, raw: dict, file: str, dbt: bool) -> None:
    settings.raw, settings.file = dict(raw), file
    settings.name = str(raw.get("name") or settings.root.name)
    settings.profile = raw.get("profile")
    settings.dialect = raw.get("dialect")
    settings.lint = raw.get("lint") or {}
    variables = raw.get("vars") or {}
    if not isinstance(variables, dict):
        line = raw.pos("vars")[0] if isinstance(raw, LDict) else None
        raise DefinitionError("'vars' must be a mapping", file=file, line=line,
                              help="write vars as 'vars: {name: value}'")
    settings.vars = dict(variables)
    paths = raw.get("definition-paths") or raw.get("definition_paths")
    if paths is not None:
        settings.definition_paths = _str_list(paths, "definition-paths", raw, file)
    if raw.get("model-paths"):
        settings.model_paths = _str_list(raw["model-paths"], "model-paths", raw, file)
        if dbt and settings.definition_paths is None:
            settings.definition_paths = list(settings.model_paths)
    if raw.get("macro-paths"):
        settings.macro_paths = _str_list(raw["macro-paths"], "macro-paths", raw, file)


def _str_list(value, key: str, raw, file: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    line = raw.pos(key)[0] if isinstance(raw, LDict) else None
    raise DefinitionError(f"'{key}' must be a list of folder names", file=file, line=line,
                          help=f"write it as '{key}: [models, metrics]'")


def definition_files(settings: ProjectSettings, listed: set[str] | None = None) -> list[Path]:
    """Every YAML definition file of the project, in a stable order (`listed` collects the folders read)."""
    root = settings.root
    bases = [root / p for p in settings.definition_paths] if settings.definition_paths else [root]
    files: list[Path] = []
    for base in bases:
        if base.is_file():
            files.append(base)
            continue
        if not base.is_dir():
            if listed is not None:
                listed.add(str(base))
            continue
        found = []
        for folder, subfolders, names in os.walk(base):
            if listed is not None:
                listed.add(folder)
            subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in SKIPPED_DIRS]
            found += [Path(folder) / name for name in names
                      if name.endswith((".yml", ".yaml")) and name not in SKIPPED_FILES and not name.startswith(".")]
        files += sorted(found)
    seen: set[Path] = set()
    return [f for f in files if not (f in seen or seen.add(f))]


def macro_files(settings: ProjectSettings) -> list[Path]:
    files: list[Path] = []
    for folder in settings.macro_paths:
        base = settings.root / folder
        if base.is_dir():
            files += sorted(p for p in base.rglob("*.sql") if p.is_file())
    return files
