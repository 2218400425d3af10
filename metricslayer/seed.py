"""Load the demo data into any runnable target: DuckDB builds it, parquet carries it everywhere else.

`demo_parquet` builds the deterministic demo database once (per scale) and writes one parquet file per table;
`seed_target` opens the target writable and hands the files to the engine's bulk path (COPY for PostgreSQL,
parquet files for Spark, ClickHouse and DataFusion, executemany for SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .errors import EngineError, ProjectError

Progress = Callable[[str, int, int], None]


def demo_parquet(folder: str | Path, scale: float = 1.0, progress: Progress | None = None) -> dict[str, Path]:
    """The demo tables as parquet files in `folder` (reused when already built at this scale)."""
    import duckdb

    from .demo import TABLES, build_demo_database

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / "SCALE"
    files = {name: folder / f"{name}.parquet" for name in TABLES}
    if stamp.exists() and stamp.read_text().strip() == repr(float(scale)) and all(p.exists() for p in files.values()):
        return files
    db = folder / "demo.duckdb"
    build_demo_database(db, scale=scale, progress=progress)
    with duckdb.connect(str(db), read_only=True) as con:
        for name, path in files.items():
            con.execute(f"COPY main.\"{name}\" TO '{path}' (FORMAT parquet)")
    db.unlink(missing_ok=True)
    stamp.write_text(repr(float(scale)))
    return files


def seed_target(target, scale: float = 1.0, data_dir: str | Path | None = None,
                progress: Progress | None = None) -> dict[str, Path]:
    """Load the demo tables into `target` (its schema, created when missing). Returns the parquet files used."""
    from .engines.base import connect, engine_type

    kind = engine_type(target.type)
    folder = Path(data_dir) if data_dir else Path(target.base_dir) / "target" / f"demo_parquet_{scale:g}"
    files = demo_parquet(folder, scale=scale, progress=_prefixed(progress, "build"))
    schema = target.schema or ("main" if kind in ("duckdb", "sqlite") else None)
    if kind == "duckdb":
        _seed_duckdb(target, schema or "main", files, progress)
        return files
    engine = connect(target, read_only=False)
    try:
        loader = getattr(engine, "load_tables", None)
        if loader is None:
            raise ProjectError(f"seeding a {kind} target is not supported",
                               help="load the parquet files in " + str(folder) + " with your warehouse's bulk loader")
        loader(schema, files, _prefixed(progress, "load"))
    finally:
        engine.close()
    return files


def _seed_duckdb(target, schema: str, files: dict[str, Path], progress: Progress | None) -> None:
    import duckdb

    from .engines.base import local_path

    raw = str(target.settings.get("path") or ":memory:")
    if raw == ":memory:":
        raise EngineError(f"target '{target.name}' is an in-memory DuckDB, which cannot keep seeded data",
                          help="give it a path: in profiles.yml")
    path = local_path(target, raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for i, (name, file) in enumerate(files.items()):
            if progress:
                progress(f"load {name}", i, len(files))
            con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{name}" AS SELECT * FROM read_parquet(?)', [str(file)])


def _prefixed(progress: Progress | None, prefix: str) -> Progress | None:
    if progress is None:
        return None
    return lambda step, i, n: progress(f"{prefix} {step}", i, n)
