"""Rule families, one module each. Importing this package registers every rule."""

from . import (  # noqa: F401
    ml1_schema,
    ml2_refs,
    ml3_graph,
    ml4_time,
    ml5_sql,
    ml6_governance,
    ml7_kpi,
    ml8_warehouse,
)
