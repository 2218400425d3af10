"""Apache Spark through pyspark: a local session (`master: local[*]`) or Spark Connect (`host: sc://...`).

One SparkSession per process (Spark allows no more): UTC, UI off, driver bound to 127.0.0.1, 2 shuffle
partitions by default. A target may name a folder of parquet files (`parquet_dir`), registered as tables of
the target's schema (the local catalog is in memory).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..result import Result
from .base import (
    Progress,
    connect_error,
    copy_parquet,
    local_path,
    parquet_tables,
    require,
    result_from_arrow,
    run_error,
    setting,
)

_SESSION = None


def session(master: str = "local[*]", remote: str | None = None, conf: dict | None = None):
    """The process's SparkSession, created on first use."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    pyspark_sql = require("pyspark.sql", "spark", "spark", "pyspark")
    builder = pyspark_sql.SparkSession.builder.appName("metricslayer")
    settings = {"spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "2"}
    if remote:
        builder = builder.remote(remote)
    else:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", "python3")
        settings.update({
            "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
            "spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
            "spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="ml-spark-warehouse-"),
            "spark.sql.catalogImplementation": "in-memory", "spark.sql.adaptive.enabled": "true",
            "spark.driver.extraJavaOptions": "-Duser.timezone=UTC -Dderby.system.home=" + tempfile.gettempdir(),
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
        })
        builder = builder.master(master)
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR") if not remote else None
    return _SESSION


def stop() -> None:
    """Stop the process's SparkSession (at the end of a test session or CLI run)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


class SparkEngine:
    dialect = "spark"

    def __init__(self, spark, folder: Path | None):
        self.spark, self.folder = spark, folder

    @classmethod
    def from_target(cls, target, read_only: bool = True) -> SparkEngine:
        host = str(setting(target, "host", "remote", default=""))
        remote = host if host.startswith("sc://") else None
        conf = {str(k): str(v) for k, v in (setting(target, "conf", default={}) or {}).items()}
        try:
            spark = session(str(setting(target, "master", default="local[*]")), remote, conf)
        except Exception as exc:
            if type(exc).__name__ == "EngineError":
                raise
            raise connect_error("Spark", target, exc) from None
        raw = setting(target, "parquet_dir")
        folder = local_path(target, raw) if raw else None
        engine = cls(spark, folder)
        if folder is not None and folder.is_dir():
            engine.register(target.schema, parquet_tables(folder))
        return engine

    def register(self, schema: str | None, tables: dict[str, Path]) -> None:
        schema = schema or "default"
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        for name, path in tables.items():
            self.spark.sql(f"DROP TABLE IF EXISTS `{schema}`.`{name}`")
            self.spark.sql(f"CREATE TABLE `{schema}`.`{name}` USING parquet LOCATION '{Path(path).resolve()}'")

    def execute(self, sql: str) -> Result:
        try:
            frame = self.spark.sql(sql)
            table = frame.toArrow()
        except Exception as exc:
            raise run_error("Spark", exc) from None
        return result_from_arrow(table, sql)

    def load_tables(self, schema: str | None, tables: dict[str, Path], progress: Progress | None = None) -> None:
        """Local: copy the parquet files into parquet_dir and register them. Connect: write managed tables."""
        if self.folder is not None:
            self.register(schema, copy_parquet(tables, self.folder, progress))
            return
        schema = schema or "default"
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        import pyarrow.parquet as pq

        for i, (name, path) in enumerate(tables.items()):
            if progress:
                progress(name, i, len(tables))
            frame = self.spark.createDataFrame(pq.read_table(path).to_pandas())
            frame.write.mode("overwrite").saveAsTable(f"`{schema}`.`{name}`")

    def close(self) -> None:
        """The session is shared by the process; stop() ends it."""
