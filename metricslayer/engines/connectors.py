"""Compile-only dialects that also run queries when their official Python connector is installed.

Each is a DB-API connection opened from the target's settings (secrets come from env_var() in profiles.yml
and are never echoed: errors keep only the driver's first line). Not exercised in CI (no servers); the SQL
they run is the golden SQL checked in tests/golden.
"""

from __future__ import annotations

from ..result import Result
from .base import connect_error, require, run_error, setting


class _DbApiEngine:
    dialect = ""
    label = ""
    module = ""
    extra = ""
    package = ""
    session_sql: tuple[str, ...] = ()

    def __init__(self, connection):
        self._connection = connection

    @classmethod
    def from_target(cls, target, read_only: bool = True):
        driver = require(cls.module, cls.label, cls.extra, cls.package)
        try:
            connection = cls.open(driver, target)
            cursor = connection.cursor()
            for sql in cls.session_sql:
                cursor.execute(sql)
        except Exception as exc:  # each driver has its own error classes
            raise connect_error(cls.label, target, exc) from None
        return cls(connection)

    @classmethod
    def open(cls, driver, target):
        raise NotImplementedError

    def execute(self, sql: str) -> Result:
        try:
            cursor = self._connection.cursor()
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description]
            rows = [tuple(r) for r in cursor.fetchall()]
        except Exception as exc:
            raise run_error(self.label, exc) from None
        return Result(columns=columns, rows=rows, sql=sql)

    def close(self) -> None:
        self._connection.close()


class SnowflakeEngine(_DbApiEngine):
    dialect, label, module, extra, package = ("snowflake", "Snowflake", "snowflake.connector", "snowflake",
                                              "snowflake-connector-python")
    session_sql = ("ALTER SESSION SET TIMEZONE = 'UTC'", "ALTER SESSION SET WEEK_START = 1")

    @classmethod
    def open(cls, driver, target):
        keys = ("account", "user", "password", "role", "warehouse", "database", "schema", "authenticator")
        return driver.connect(**{k: setting(target, k) for k in keys if setting(target, k) is not None})


class BigQueryEngine(_DbApiEngine):
    dialect, label, module, extra, package = ("bigquery", "BigQuery", "google.cloud.bigquery.dbapi", "bigquery",
                                              "google-cloud-bigquery")

    @classmethod
    def open(cls, driver, target):
        from google.cloud import bigquery

        return driver.connect(bigquery.Client(project=setting(target, "project", "database")))


class DatabricksEngine(_DbApiEngine):
    dialect, label, module, extra, package = ("databricks", "Databricks", "databricks.sql", "databricks",
                                              "databricks-sql-connector")
    session_sql = ("SET TIME ZONE 'UTC'",)

    @classmethod
    def open(cls, driver, target):
        return driver.connect(server_hostname=setting(target, "host", required=True),
                              http_path=setting(target, "http_path", required=True),
                              access_token=setting(target, "token", required=True))


class RedshiftEngine(_DbApiEngine):
    dialect, label, module, extra, package = "redshift", "Redshift", "redshift_connector", "redshift", None
    session_sql = ("SET timezone TO 'UTC'",)

    @classmethod
    def open(cls, driver, target):
        return driver.connect(host=setting(target, "host", required=True), port=int(setting(target, "port",
                              default=5439)), database=setting(target, "dbname", "database"),
                              user=setting(target, "user"), password=setting(target, "password"))


class TrinoEngine(_DbApiEngine):
    dialect, label, module, extra, package = "trino", "Trino", "trino.dbapi", "trino", "trino"

    @classmethod
    def open(cls, driver, target):
        return driver.connect(host=setting(target, "host", required=True),
                              port=int(setting(target, "port", default=8080)), user=setting(target, "user"),
                              catalog=setting(target, "database", "catalog"), schema=target.schema,
                              timezone="UTC")


class SqlServerEngine(_DbApiEngine):
    dialect, label, module, extra, package = "tsql", "SQL Server", "pyodbc", "sqlserver", "pyodbc"

    @classmethod
    def open(cls, driver, target):
        text = setting(target, "connection_string") or (
            f"DRIVER={{{setting(target, 'driver', default='ODBC Driver 18 for SQL Server')}}};"
            f"SERVER={setting(target, 'host', 'server', required=True)},{setting(target, 'port', default=1433)};"
            f"DATABASE={setting(target, 'database', 'dbname')};UID={setting(target, 'user')};"
            f"PWD={setting(target, 'password')};ApplicationIntent=ReadOnly")
        return driver.connect(text)


class MySQLEngine(_DbApiEngine):
    dialect, label, module, extra, package = "mysql", "MySQL", "pymysql", "mysql", "pymysql"
    session_sql = ("SET time_zone = '+00:00'", "SET SESSION TRANSACTION READ ONLY")

    @classmethod
    def open(cls, driver, target):
        return driver.connect(host=setting(target, "host", required=True), port=int(setting(target, "port",
                              default=3306)), user=setting(target, "user"), password=setting(target, "password"),
                              database=setting(target, "database", "schema"))
