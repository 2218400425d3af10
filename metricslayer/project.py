"""The public Project object: load once, compile and query many times."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import DimensionInfo, EntityInfo, MetricInfo, SavedQueryInfo
from .engines.base import connect, dialect_of
from .engines.profiles import Target, load_target
from .errors import DefinitionError, ProjectError, QueryError, did_you_mean
from .plan.graph import SemanticGraph
from .plan.names import parse_object_call
from .plan.planner import Planner, QueryRequest
from .result import Result
from .spec.calendar import read_calendar
from .spec.model import Loc, ProjectSpec, WhereFilter
from .spec.project_files import ProjectSettings
from .sql.build import SqlBuilder

if TYPE_CHECKING:
    from .spec.relations import RelationResolver

Progress = Callable[[str, int, int], None]


class Project:
    """A loaded metricslayer project (definitions + profile target)."""

    def __init__(self, settings: ProjectSettings, spec: ProjectSpec, target: Target, dialect: str,
                 variables: dict, problems: list[DefinitionError]):
        self.root = settings.root
        self.settings = settings
        self.spec = spec
        self.target = target
        self.dialect = dialect
        self.vars = variables
        self.problems = problems
        self.graph = SemanticGraph(spec)
        self.calendar = read_calendar(settings.raw.get("calendar"), settings.file, spec.time_spines)
        self.planner = Planner(self.graph, dialect, self.calendar)
        self.sql_builder = SqlBuilder(spec, dialect, self.calendar)
        self.progress: Progress | None = None
        self._engine = None
        self._spine_range: tuple | None = None

    # -- compile and query --------------------------------------------------------------------------
    def request(self, metrics: Sequence[str] = (), group_by: Sequence[str] = (), where: Sequence[str] = (),
                order_by: Sequence[str] = (), limit: int | None = None, start_time: str | None = None,
                end_time: str | None = None, saved_query: str | None = None) -> QueryRequest:
        """Turn user arguments (strings) into a typed request, merging a saved query when named."""
        metrics, group_by = _as_tuple(metrics, "metrics"), _as_tuple(group_by, "group_by")
        filters = tuple(WhereFilter(w) for w in _as_tuple(where, "where"))
        order_by = _as_tuple(order_by, "order_by")
        if saved_query:
            saved = self.spec.saved_queries.get(saved_query)
            if saved is None:
                raise QueryError(f"unknown saved query '{saved_query}'",
                                 help=did_you_mean(saved_query, self.spec.saved_queries)
                                 or "run 'metricslayer list saved-queries'")
            metrics = metrics or saved.metrics
            group_by = group_by or tuple(_saved_group_by(g) for g in saved.group_by)
            filters = saved.where + filters
            order_by = order_by or tuple(saved.order_by)
            limit = limit if limit is not None else saved.limit
        return QueryRequest(metrics=metrics, group_by=group_by, where=filters, order_by=order_by,
                            limit=limit, start_time=start_time, end_time=end_time)

    def compile(self, metrics: Sequence[str] = (), group_by: Sequence[str] = (), where: Sequence[str] = (),
                order_by: Sequence[str] = (), limit: int | None = None, start_time: str | None = None,
                end_time: str | None = None, dialect: str | None = None,
                saved_query: str | None = None) -> str:
        """Compile a query to one SQL statement for `dialect` (default: the target's)."""
        request = self.request(metrics, group_by, where, order_by, limit, start_time, end_time, saved_query)
        return self.compile_request(request, dialect)

    def compile_request(self, request: QueryRequest, dialect: str | None = None, pretty: bool = True) -> str:
        from .sql.dialects import adapt

        dialect = check_dialect(dialect or self.dialect)
        plan = self.planner.plan(request)
        return adapt(self.sql_builder.build(plan), dialect).sql(dialect=dialect, pretty=pretty)

    def query(self, metrics: Sequence[str] = (), group_by: Sequence[str] = (), where: Sequence[str] = (),
              order_by: Sequence[str] = (), limit: int | None = None, start_time: str | None = None,
              end_time: str | None = None, saved_query: str | None = None) -> Result:
        """Compile and run a query on the target warehouse."""
        request = self.request(metrics, group_by, where, order_by, limit, start_time, end_time, saved_query)
        engine = self.engine()
        sql = self.compile_request(request, engine.dialect)
        if self.calendar.day_spine is not None and (request.start_time or request.end_time):
            self._check_spine_covers(engine, request)
        return engine.execute(sql)

    def _check_spine_covers(self, engine, request: QueryRequest) -> None:
        """A declared spine that stops before the queried range would silently drop periods: refuse."""
        from .plan.timerange import parse_time

        spine = self.calendar.day_spine
        if self._spine_range is None:
            from sqlglot import exp

            from .sql.exprs import column

            table = self.sql_builder._relation(spine.relation, {})
            sql = exp.select(exp.Min(this=column(spine.column)), exp.Max(this=column(spine.column))).from_(table)
            low, high = engine.execute(sql.sql(dialect=engine.dialect)).rows[0]
            self._spine_range = (str(low)[:10] if low else None, str(high)[:10] if high else None)
        low, high = self._spine_range
        asked_low = parse_time(request.start_time, "start_time").date().isoformat() if request.start_time else None
        asked_high = parse_time(request.end_time, "end_time").date().isoformat() if request.end_time else None
        if low is None or (asked_low and asked_low < low) or (asked_high and asked_high > high):
            raise QueryError(
                f"time spine {spine.relation.qualified} covers {low or 'nothing'} to {high or 'nothing'}, but the "
                f"query asks for {asked_low or '...'} to {asked_high or '...'}",
                help="extend the spine table, or narrow --start-time/--end-time to the range it covers")

    def engine(self):
        """The open connection to the target (opened on first use; builds the demo data if needed)."""
        if self._engine is None:
            if self.target.settings.get("demo") and self.target.type == "duckdb":
                path = self._target_path()
                if path is not None and not path.exists():
                    self.build_demo(self.progress)
            self._engine = connect(self.target)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def _target_path(self) -> Path | None:
        raw = str(self.target.settings.get("path") or ":memory:")
        if raw == ":memory:":
            return None
        return Path(raw) if Path(raw).is_absolute() else self.target.base_dir / raw

    def build_demo(self, progress: Progress | None = None, scale: float = 1.0, force: bool = False) -> Path:
        """Build the demo DuckDB database of the current target (a target marked `demo: true`)."""
        from .demo import build_demo_database

        path = self._target_path()
        if path is None or self.target.type != "duckdb":
            raise ProjectError(f"target '{self.target.name}' is not a DuckDB file",
                               help="the demo data is built into a duckdb target with a path")
        if not self.target.settings.get("demo") and not force:
            raise ProjectError(f"target '{self.target.name}' is not marked demo: true in profiles.yml, so "
                               f"building the demo would overwrite {str(path)!r}",
                               help="add demo: true to that output, or pass force=True / --force")
        self.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        build_demo_database(path, scale=scale, progress=progress)
        return path

    # -- catalog ------------------------------------------------------------------------------------
    def list_metrics(self) -> list[MetricInfo]:
        return [MetricInfo(m.name, m.type, m.label, m.description, m.owner, m.department, m.loc.file,
                           m.loc.line) for m in sorted(self.spec.metrics.values(), key=lambda m: m.name)]

    def _models_of(self, metrics: Sequence[str]) -> list[str]:
        models = []
        for name in metrics:
            plan = self.planner.plan(QueryRequest(metrics=(name,)))
            models += [s.model for s in plan.scans]
        return list(dict.fromkeys(models))

    def list_dimensions(self, metrics: Sequence[str] = ()) -> list[DimensionInfo]:
        """Group-by items reachable from every metric in `metrics` (all models' when empty)."""
        found: dict[str, DimensionInfo] = {}
        sources = self._models_of(metrics) if metrics else list(self.spec.semantic_models)
        per_source = []
        for source in sources:
            model = self.spec.semantic_models[source]
            names = {}
            if metrics or model.default_agg_time_dimension:
                names["metric_time"] = DimensionInfo("metric_time", "time", "the metric's aggregation time",
                                                     source)
            for reach in self.graph.reachable(source):
                if reach.kind != "dimension":
                    continue
                owner = self.spec.semantic_models[reach.model]
                dim = owner.dimension(reach.element)
                name = "__".join(reach.entity_path(model) + (reach.element,))
                if not metrics and reach.hops:
                    continue
                names.setdefault(name, DimensionInfo(name, dim.type, dim.description, owner.name))
            per_source.append(names)
        if metrics:
            common = set(per_source[0]) if per_source else set()
            for names in per_source[1:]:
                common &= set(names)
            for names in per_source:
                for key in sorted(common):
                    found.setdefault(key, names[key])
        else:
            for names in per_source:
                for key, info in names.items():
                    found.setdefault(key, info)
        return sorted(found.values(), key=lambda d: d.name)

    def list_entities(self, metrics: Sequence[str] = ()) -> list[EntityInfo]:
        sources = self._models_of(metrics) if metrics else list(self.spec.semantic_models)
        found: dict[str, EntityInfo] = {}
        for source in sources:
            for reach in self.graph.reachable(source) if metrics else []:
                if reach.kind == "entity":
                    entity = self.spec.semantic_models[reach.model].entity(reach.element)
                    found.setdefault(entity.name, EntityInfo(entity.name, entity.type, entity.description,
                                                             reach.model))
            if not metrics:
                for entity in self.spec.semantic_models[source].entities:
                    if entity.type != "foreign":
                        found.setdefault(entity.name, EntityInfo(entity.name, entity.type, entity.description,
                                                                 source))
        return sorted(found.values(), key=lambda e: e.name)

    def list_saved_queries(self) -> list[SavedQueryInfo]:
        return [SavedQueryInfo(q.name, q.description, q.metrics, tuple(_saved_group_by(g) for g in q.group_by),
                               tuple(w.sql for w in q.where))
                for q in sorted(self.spec.saved_queries.values(), key=lambda q: q.name)]

    def export_metricflow(self, out_dir: str | Path) -> list[Path]:
        """Write the loaded project as MetricFlow-readable YAML (rendered, refs resolved)."""
        from .export.metricflow import export_metricflow

        return export_metricflow(self, Path(out_dir))


SUPPORTED_DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "redshift", "databricks", "spark",
                      "trino", "presto", "clickhouse", "tsql", "mysql", "sqlite", "athena", "oracle", "datafusion")


def check_dialect(dialect: str) -> str:
    name = str(dialect).lower()
    if name not in SUPPORTED_DIALECTS:
        raise QueryError(f"unsupported SQL dialect '{dialect}'",
                         help=did_you_mean(name, SUPPORTED_DIALECTS) or f"use one of {', '.join(SUPPORTED_DIALECTS)}")
    return name


def _as_tuple(value, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if name in ("where", "order_by") else tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _saved_group_by(text: str) -> str:
    if "(" in text:
        return parse_object_call(text).text
    return text


def parse_vars(value: dict | str | None) -> dict[str, Any]:
    """--vars as YAML or JSON text, or a dict."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    import yaml

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise ProjectError(f"--vars is not valid YAML: {exc}", help="write --vars '{key: value}'") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise ProjectError("--vars must be a mapping", help="write --vars '{key: value}'")
    return parsed


def load_project(path: str | Path = ".", target: str | None = None, vars: dict | str | None = None,
                 profiles_dir: str | Path | None = None, strict: bool = True) -> Project:
    """Load the project at `path`: render, parse and index its definitions.

    With `strict` (the default) the first definition problem raises DefinitionError; lint passes
    strict=False and reads `project.problems`. A strict load is cached (see spec/cache.py) while none of
    the files, folders and environment variables it read change.
    """
    from .spec import cache

    root = Path(path).resolve()
    profile_dir = Path(profiles_dir) if profiles_dir else (
        Path(os.environ["METRICSLAYER_PROFILES_DIR"]) if os.environ.get("METRICSLAYER_PROFILES_DIR") else None)
    key = (str(root), target, repr(vars), str(profile_dir), __import__("metricslayer").__version__)
    if strict:
        payload = cache.read(key)
        if payload is not None:
            settings, spec, resolved_target, dialect, variables = payload
            return Project(settings, spec, resolved_target, dialect, variables, [])
    recorder = cache.Recorder()
    project = _load(root, target, vars, profile_dir, strict, recorder)
    if strict:
        spec = replace_parsed(project.spec)
        cache.write(key, (project.settings, spec, project.target, project.dialect, project.vars), recorder)
    return project


def replace_parsed(spec: ProjectSpec) -> ProjectSpec:
    """The spec without the parsed YAML kept for lint (its line maps are functions: not cacheable)."""
    import copy

    clone = copy.copy(spec)
    clone.parsed = {}
    return clone


def _load(root: Path, target, vars, profile_dir, strict: bool, recorder) -> Project:
    from .spec import render as render_module
    from .spec.load import SpecBuilder, load_documents
    from .spec.project_files import PROJECT_FILES, definition_files, macro_files, read_settings
    from .spec.relations import RelationResolver
    from .spec.render import load_macros, make_environment, render

    render_module.ENV_READS = recorder.env
    try:
        recorder.files |= {str(root / name) for name in PROJECT_FILES}
        settings = read_settings(root)
        variables = {**settings.vars, **parse_vars(vars)}
        recorder.files.add(str((profile_dir or root) / "profiles.yml"))
        resolved_target = load_target(root, settings.profile, target, profile_dir, variables)
        dialect = check_dialect(settings.dialect or dialect_of(resolved_target.type))
        env = make_environment(variables)
        macros = macro_files(settings)
        recorder.files |= {str(m) for m in macros}
        recorder.dirs |= {str(root / folder) for folder in settings.macro_paths + settings.model_paths}
        recorder.files.add(str(root / "target" / "manifest.json"))
        load_macros(env, macros, root)

        def render_sql(sql_path: Path, rel: str) -> str:
            recorder.files.add(str(sql_path))
            sql_env = env.overlay()
            sql_env.globals["ref"] = lambda *a: _ref_sql(resolver, a, rel)
            sql_env.globals["source"] = lambda *a: resolver.resolve(
                "source(" + ", ".join(repr(x) for x in a) + ")", Loc(rel)).qualified
            text, _ = render(sql_env, sql_path.read_text(encoding="utf-8"), rel)
            return text.strip().rstrip(";")

        resolver = RelationResolver(root, settings.model_paths, resolved_target.schema, render_sql)
        builder = SpecBuilder(resolver)
        files = definition_files(settings, recorder.dirs)
        recorder.files |= {str(f) for f in files}
        for file in files:
            load_documents(file, str(file.relative_to(root)), env, builder)
        spec = builder.finish()
    finally:
        render_module.ENV_READS = None
    problems = builder.problems
    if strict and problems:
        first = problems[0]
        if len(problems) > 1:
            first.help = (first.help + "; " if first.help else "") + \
                f"{len(problems) - 1} more problem(s): run 'metricslayer lint' to see all"
            first.args = (first.render(),)
        raise first
    return Project(settings, spec, resolved_target, dialect, variables, problems)


def _ref_sql(resolver: RelationResolver, args, rel: str) -> str:
    relation = resolver.resolve("ref(" + ", ".join(repr(a) for a in args) + ")", Loc(rel))
    return f"({relation.sql})" if relation.sql else relation.qualified
