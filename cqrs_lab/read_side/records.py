"""Query results as records: one dict per row, keyed by column name.

DuckDB hands back tuples; pydantic views, read-model rows and API answers want names.
Every place that turns a cursor into dicts uses these two functions.
"""

from __future__ import annotations

from typing import Any

import duckdb

Record = dict[str, Any]


def records(cursor: duckdb.DuckDBPyConnection) -> list[Record]:
    """Every row of an executed query's result, as a dict by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def first_record(cursor: duckdb.DuckDBPyConnection) -> Record | None:
    """The first row of an executed query's result as a dict, or None if there is none."""
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row))
