"""profiles.yml (dbt-style): profile -> target -> output settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProjectError, did_you_mean


@dataclass(frozen=True)
class Target:
    """One output of a profile: the engine type and its settings (secrets stay in `settings`)."""

    name: str
    type: str
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    base_dir: Path = Path(".")

    @property
    def schema(self) -> str | None:
        value = self.settings.get("schema")
        return str(value) if value else None


IN_MEMORY = Target(name="memory", type="duckdb", settings={"path": ":memory:"})


def load_target(root: Path, profile: str | None, target: str | None, profiles_dir: Path | None,
                variables: dict) -> Target:
    """The target to run on; an in-memory DuckDB when there is no profiles.yml."""
    folder = Path(profiles_dir) if profiles_dir else root
    path = folder / "profiles.yml"
    if not path.is_file():
        if profiles_dir:
            raise ProjectError(f"no profiles.yml in {str(folder)!r}", help="check --profiles-dir")
        if target:
            raise ProjectError(f"--target {target} was given but the project has no profiles.yml",
                               help="create profiles.yml, or drop --target to use an in-memory DuckDB")
        return IN_MEMORY
    from ..spec.render import make_environment, render
    from ..spec.yamlfile import parse_yaml_documents

    rel = "profiles.yml" if folder == root else str(path)
    text, line_map = render(make_environment(variables), path.read_text(encoding="utf-8"), rel)
    docs = parse_yaml_documents(text, rel, line_map)
    profiles = docs[0] if docs else {}
    if not isinstance(profiles, dict) or not profiles:
        raise ProjectError("profiles.yml holds no profile", file=rel,
                           help="write '<profile>: {target: dev, outputs: {dev: {type: duckdb, path: x.duckdb}}}'")
    names = [k for k in profiles if k != "config"]
    if profile is None:
        if len(names) != 1:
            raise ProjectError(f"profiles.yml has {len(names)} profiles and the project names none",
                               file=rel, help="set profile: <name> in metricslayer.yml")
        profile = names[0]
    if profile not in profiles:
        raise ProjectError(f"profile '{profile}' is not in profiles.yml", file=rel,
                           help=did_you_mean(profile, names) or f"profiles: {', '.join(names)}")
    entry = profiles[profile] or {}
    outputs = entry.get("outputs") or {}
    name = target or entry.get("target") or next(iter(outputs), None)
    if name not in outputs:
        line = outputs.line if hasattr(outputs, "line") else None
        raise ProjectError(f"target '{name}' is not an output of profile '{profile}'", file=rel,
                           line=line_map(line) if line else None,
                           help=did_you_mean(str(name), outputs) or f"outputs: {', '.join(outputs) or 'none'}")
    settings = dict(outputs[name] or {})
    if "type" not in settings:
        raise ProjectError(f"target '{name}' has no type", file=rel, help="add type: duckdb")
    return Target(name=str(name), type=str(settings["type"]).lower(), settings=settings, base_dir=folder)
