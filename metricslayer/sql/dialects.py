"""Per-dialect transforms of the built sqlglot tree (semantic fixes sqlglot's generator does not make).

`adapt` runs after sql/build.py and before generation; a dialect difference lives here, never as an
`if dialect ==` in the builder.
"""

from __future__ import annotations

from sqlglot import exp


def adapt(tree: exp.Expression, dialect: str) -> exp.Expression:
    """Return `tree` rewritten so that it means the same thing on `dialect` as on DuckDB."""
    return tree
