"""A read-model table: its columns, and the set-based reads and writes a batch needs.

A projection never writes a row at a time. It reads the rows a batch touches with one
SELECT (:meth:`Table.fetch`) and writes the batch's result with one statement per kind of
change: :meth:`Table.insert` for new rows, :meth:`Table.upsert` for rows it loaded. Many
rows cross to DuckDB as NumPy columns (see :mod:`cqrs_lab.read_side.columns`), a few as
query parameters, and a value lands the same either way.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cqrs_lab.read_side.columns import (
    as_array,
    naive_utc,
    naive_utc_timestamps,
    registered,
    uuid_halves,
    uuid_sql,
)
from cqrs_lab.read_side.records import records

Row = dict[str, Any]
"""One read-model row: column name to value."""

#: Up to this many keys (rows), ``Table.fetch`` (``Table.upsert``) passes them as query
#: parameters: cheaper than registering columns for DuckDB to scan.
_FEW_KEYS = _FEW_ROWS = 64


@dataclass(frozen=True)
class Table:
    """One read-model table: its name, key column and typed columns (key first)."""

    name: str
    key: str
    columns: dict[str, str]

    def create(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the table if it does not exist yet."""
        cols = ", ".join(f"{c} {t}" for c, t in self.columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, PRIMARY KEY ({self.key}))")

    def is_empty(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Whether the table holds no row (one cheap SELECT that stops at the first row)."""
        return con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {self.name})").fetchall()[0][0]

    def fetch(self, con: duckdb.DuckDBPyConnection, keys: Iterable[Hashable]) -> dict[Any, Row]:
        """The existing rows for ``keys``, as dicts by key, in one SELECT.

        A few keys go as query parameters; many go as a scanned key column, joined.
        """
        keys = list(keys)
        if not keys:
            return {}
        if len(keys) <= _FEW_KEYS:
            marks = ", ".join("?" * len(keys))
            key_type = self.columns[self.key]
            return _rows_by_key(
                con.execute(
                    f"SELECT * FROM {self.name} WHERE {self.key} IN ({marks})",
                    [_parameter(key, key_type) for key in keys],
                )
            )
        halves = uuid_halves(keys) if self.columns[self.key] == "UUID" else None
        if halves is None:
            wanted, on = {"k": as_array(keys, self.columns[self.key])}, "w.k"
        else:
            wanted, on = {"hi": halves[0], "lo": halves[1]}, uuid_sql("w.hi", "w.lo")
        with registered(con, "_wanted_keys", wanted):
            return _rows_by_key(
                con.execute(
                    f"SELECT t.* FROM {self.name} t JOIN _wanted_keys w ON t.{self.key} = {on}"
                )
            )

    def upsert(self, con: duckdb.DuckDBPyConnection, rows: Iterable[Row]) -> int:
        """Insert ``rows`` (unique by key), updating those whose key exists; returns the count.

        One ``INSERT .. ON CONFLICT DO UPDATE`` statement. (``INSERT OR REPLACE`` says the
        same, but DuckDB then rewrites the key too: fifteen times slower on existing rows.)
        Columns are built straight from the rows, and UUID and TIMESTAMP columns cross to
        DuckDB as numbers (see :mod:`cqrs_lab.read_side.columns`).
        """
        others = [c for c in self.columns if c != self.key]
        action = (
            "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in others)
            if others
            else "DO NOTHING"
        )
        return self._write(con, "INSERT", rows, f"ON CONFLICT ({self.key}) {action}")

    def insert(self, con: duckdb.DuckDBPyConnection, rows: Iterable[Row]) -> int:
        """Insert new ``rows`` with one statement; returns the count.

        Cheaper than :meth:`upsert` (no conflict handling), and a key that already exists
        is an error, not a silent replace: DuckDB raises ``duckdb.ConstraintException``
        naming the key, and the projector's transaction rolls the batch back.
        """
        return self._write(con, "INSERT", rows)

    def _write(
        self, con: duckdb.DuckDBPyConnection, verb: str, rows: Iterable[Row], tail: str = ""
    ) -> int:
        rows = list(rows)
        if not rows:
            return 0
        names = list(self.columns)
        if len(rows) <= _FEW_ROWS:
            # A few rows go as query parameters: registering columns costs more than that.
            marks = "(" + ", ".join("?" * len(names)) + ")"
            con.execute(
                f"{verb} INTO {self.name} ({', '.join(names)}) "
                f"VALUES {', '.join([marks] * len(rows))} {tail}",
                [_parameter(row[name], self.columns[name]) for row in rows for name in names],
            )
            return len(rows)
        columns, select = self._columns(rows)
        with registered(con, "_written_rows", columns):
            con.execute(
                f"{verb} INTO {self.name} BY NAME SELECT {select} FROM _written_rows {tail}"
            )
        return len(rows)

    def _columns(self, rows: list[Row]) -> tuple[dict[str, np.ndarray], str]:
        """The rows' columns as arrays, and the SELECT list that turns them into this table."""
        names = list(self.columns)
        values = [list(map(itemgetter(name), rows)) for name in names]
        data: dict[str, Any] = {}
        select = []
        for name, column in zip(names, values):
            sql_type = self.columns[name]
            converted = None
            if sql_type == "UUID" and (halves := uuid_halves(column)) is not None:
                data[f"{name}__hi"], data[f"{name}__lo"] = halves
                select.append(f"{uuid_sql(f'{name}__hi', f'{name}__lo')} AS {name}")
                continue
            if sql_type == "TIMESTAMP":
                # Rows read back from DuckDB are naive UTC, new ones aware: make them one kind.
                converted = naive_utc_timestamps(column)
                if converted is None:
                    converted = pd.to_datetime(pd.Series(column, dtype=object), utc=True)
                    converted = converted.dt.tz_localize(None).to_numpy("datetime64[us]")
            data[name] = as_array(column, sql_type) if converted is None else converted
            select.append(name)
        return data, ", ".join(select)

    def clear(self, con: duckdb.DuckDBPyConnection) -> None:
        """Empty the table (used by rebuild), by dropping and creating it again.

        Inside a transaction this is as atomic as ``DELETE``, but refilling a table whose
        deleted keys still sit in the primary-key index is several times slower.
        """
        con.execute(f"DROP TABLE IF EXISTS {self.name}")
        self.create(con)


def _parameter(value: Any, sql_type: str) -> Any:
    """``value`` as a query parameter, stored as the column path would store it.

    Few rows travel as parameters and many as arrays (:meth:`Table._columns`); a value
    must land the same either way. So a timestamp (an aware datetime, a string with an
    offset) becomes naive UTC, since DuckDB would otherwise cast an aware one in the
    session's time zone; a NumPy scalar, which DuckDB cannot bind, becomes its Python
    value; and a float NaN becomes NULL, as pandas and a NumPy column treat it.
    """
    if sql_type == "TIMESTAMP" and value is not None:
        if not isinstance(value, datetime):
            value = pd.Timestamp(value).to_pydatetime()
        return naive_utc(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _rows_by_key(cursor: duckdb.DuckDBPyConnection) -> dict[Any, Row]:
    """Every row of a query's result as a record, by its first column (the key)."""
    return {next(iter(row.values())): row for row in records(cursor)}
