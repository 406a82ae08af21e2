"""Projections: read models folded from events into DuckDB tables.

A projection is a left fold, ``row = apply(row, event)``, but it is written to DuckDB a
batch at a time: the projector hands over a batch of events, the projection loads the rows
those events touch with one SELECT, folds the events into them in Python, and writes the
result with one set-based upsert per table. Folding first also means a key never appears
twice in one upsert, which DuckDB's ``ON CONFLICT`` would otherwise resolve silently.
"""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, ClassVar

import duckdb
import numpy as np
import pandas as pd

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.read_side.columns import (
    as_array,
    naive_utc,
    naive_utc_timestamps,
    registered,
    uuid_halves,
    uuid_sql,
)
from cqrs_lab.write_side.event_store import RecordedEvent

Row = dict[str, Any]

#: Up to this many keys (rows), ``Table.fetch`` (``Table.upsert``) passes them as query
#: parameters: cheaper than registering columns for DuckDB to scan.
_FEW_KEYS = _FEW_ROWS = 64


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch fold, then restore it.

    A big batch allocates hundreds of thousands of row dicts; each allocation burst makes
    the collector walk every live object, a million stored events among them, and on a
    rebuild that walk cost as much as the fold itself. Rows form no cycles, so reference
    counting frees them all the same. Nesting is fine: the outermost pause restores.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ProjectionError(Exception):
    """A projection could not apply an event (the projector rolls the batch back).

    Attributes:
        projection: name of the projection. position: the event's global position.
        event_type: the event's type name.
    """

    def __init__(self, projection: str, recorded: RecordedEvent, reason: str) -> None:
        self.projection = projection
        self.position = recorded.position
        self.event_type = recorded.type
        super().__init__(
            f"{projection} cannot apply {recorded.type} at position {recorded.position}: {reason}"
        )


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
    """Every row of a query's result as a dict, by its first column (the key)."""
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


class Projection(ABC):
    """A read model: which events it reads, which tables it owns, how it folds a batch."""

    name: ClassVar[str]
    """Unique name; also the key of the projection's checkpoint."""
    tables: ClassVar[tuple[Table, ...]]
    """The tables this projection owns and alone writes."""
    handles: ClassVar[tuple[type[DomainEvent], ...]]
    """Event types it reads; the projector skips the rest without calling it."""

    def create_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        for table in self.tables:
            table.create(con)

    def clear(self, con: duckdb.DuckDBPyConnection) -> None:
        for table in self.tables:
            table.clear(con)

    @abstractmethod
    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        """Fold ``batch`` (only events of ``handles``, in position order) into the tables.

        Runs inside the projector's transaction: raise to reject the whole batch.
        """


class RowProjection(Projection):
    """A projection with one table and one row per key: implement ``key_of`` and ``apply``."""

    @property
    def table(self) -> Table:
        return self.tables[0]

    @abstractmethod
    def key_of(self, event: DomainEvent) -> Hashable:
        """Which row ``event`` changes."""

    @abstractmethod
    def apply(self, row: Row | None, event: DomainEvent) -> Row:
        """Return the row after ``event`` (``row`` is None if it does not exist yet).

        Raise ``LookupError`` or ``ValueError`` if the event cannot apply to this row.
        """

    def fold(self, rows: dict[Any, Row], batch: Iterable[RecordedEvent]) -> dict[Any, Row]:
        """Apply every event in ``batch`` to ``rows`` in order; returns ``rows``."""
        for recorded in batch:
            key = self.key_of(recorded.event)
            try:
                rows[key] = self.apply(rows.get(key), recorded.event)
            except (LookupError, ValueError) as error:
                raise ProjectionError(self.name, recorded, str(error)) from error
        return rows

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        with no_gc_pauses():
            keys = {self.key_of(r.event) for r in batch}
            rows = self.fold(self.table.fetch(con, keys), batch)
            self.table.upsert(con, rows.values())
