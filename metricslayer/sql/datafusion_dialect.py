"""A sqlglot dialect for Apache DataFusion (sqlglot has none): PostgreSQL syntax with DataFusion's types.

Importing this module registers the dialect under the name "datafusion" (sqlglot registers Dialect
subclasses by class name), so `expression.sql("datafusion")` and `parse_one(sql, read="datafusion")` work.

DataFusion divides integers as integers (1 / 2 = 0) like PostgreSQL, so TYPED_DIVISION stays on and sqlglot
casts DuckDB's `/` to DOUBLE; it has DOUBLE and TIMESTAMP (without time zone) types, `IS NOT DISTINCT FROM`,
`date_trunc`, `date_part`, `median` and `percentile_cont` (exact), `approx_percentile_cont`.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres


class DataFusion(Postgres):
    TYPED_DIVISION = True
    SAFE_DIVISION = False

    class Tokenizer(Postgres.Tokenizer):
        pass

    class Parser(Postgres.Parser):
        pass

    class Generator(Postgres.Generator):
        TYPE_MAPPING = {
            **Postgres.Generator.TYPE_MAPPING,
            exp.DataType.Type.DOUBLE: "DOUBLE",
            exp.DataType.Type.FLOAT: "FLOAT",
            exp.DataType.Type.TEXT: "VARCHAR",
            exp.DataType.Type.TIMESTAMPTZ: "TIMESTAMP",
            exp.DataType.Type.BLOB: "BYTEA",
        }
