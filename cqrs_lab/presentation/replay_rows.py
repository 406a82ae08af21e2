"""Which read-model rows a run of events touched, so a replay reads and rewrites only those.

The stepper's :class:`~cqrs_lab.presentation.projection_replay.Replay` runs a lab's
projections over a scratch database. It gives them copies of the projections whose tables
note every key they write (:class:`KeyNotingTable`); which rows a run of events touches
depends only on the log, so what a fold noted stays true. A diff of one event then reads
only its rows from the two states, and putting a saved copy back rewrites only the rows
the events since then touched, not whole tables.

A projection that writes its own SQL (it overrides ``apply_batch``) is not noted: its
tables are compared and copied whole (:func:`noted_projection` returns it unchanged).
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cqrs_lab.read_side.projection import Projection, RowProjection, TablesProjection
from cqrs_lab.read_side.table import Row, Table

#: Above this many keys in a table, read or rewrite the table whole (one scan is cheaper).
MANY_KEYS = 2_000

Keys = dict[str, set[Hashable] | None]
"""Keys touched per table name; ``None``: not known, treat every row as touched."""


@dataclass(frozen=True)
class RowChange:
    """One row an event changed: ``inserted``, ``changed`` (old values kept) or ``deleted``."""

    table: str
    key: Any
    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changed_columns(self) -> list[str]:
        """Columns whose value differs (every column for an insert or a delete)."""
        if self.before is None or self.after is None:
            return list((self.after or self.before or {}).keys())
        return [c for c in self.after if self.after[c] != self.before.get(c)]


@dataclass(frozen=True, eq=False)
class KeyNotingTable(Table):
    """A :class:`~cqrs_lab.read_side.table.Table` that notes the key of every row written,
    and a copy of every stored row it fetched (the first time: as it was before)."""

    written: set[Hashable] = field(default_factory=set)
    fetched: dict[Hashable, Row] = field(default_factory=dict)

    def fetch(self, con: duckdb.DuckDBPyConnection, keys: Iterable[Hashable]) -> dict[Any, Row]:
        rows = super().fetch(con, keys)
        for key, row in rows.items():
            self.fetched.setdefault(key, dict(row))  # a fold may change the row in place
        return rows

    def insert(self, con: duckdb.DuckDBPyConnection, rows: Iterable[Row]) -> int:
        rows = list(rows)
        self.written.update(row[self.key] for row in rows)
        return super().insert(con, rows)

    def upsert(self, con: duckdb.DuckDBPyConnection, rows: Iterable[Row]) -> int:
        rows = list(rows)
        self.written.update(row[self.key] for row in rows)
        return super().upsert(con, rows)


def noted_projection(projection: Projection) -> Projection:
    """A shallow copy of ``projection`` writing through :class:`KeyNotingTable` (the
    original is left alone: it is the live lab's), or ``projection`` if it writes its own
    SQL."""
    kind = type(projection)
    engine = (RowProjection, TablesProjection)
    if not any(isinstance(projection, e) and kind.apply_batch is e.apply_batch for e in engine):
        return projection
    noted = copy.copy(projection)
    noted.tables = tuple(KeyNotingTable(t.name, t.key, t.columns) for t in projection.tables)
    return noted


def written_keys(projections: Iterable[Projection]) -> Keys:
    """The keys written since the notes were last forgotten, per table (``None`` for a
    table that is not noted)."""
    return {
        table.name: set(table.written) if isinstance(table, KeyNotingTable) else None
        for projection in projections
        for table in projection.tables
    }


def forget_notes(projections: Iterable[Projection]) -> None:
    """Forget the keys written and the rows fetched so far."""
    for projection in projections:
        for table in projection.tables:
            if isinstance(table, KeyNotingTable):
                table.written.clear()
                table.fetched.clear()


def take_written(projections: Iterable[Projection]) -> Keys:
    """:func:`written_keys`, then :func:`forget_notes`."""
    projections = list(projections)
    keys = written_keys(projections)
    forget_notes(projections)
    return keys


def merge(into: Keys, more: Keys) -> Keys:
    """``into`` with ``more``'s keys added (``None`` wins: not known stays not known)."""
    for name, keys in more.items():
        mine = into.get(name, set())
        into[name] = None if mine is None or keys is None else mine | keys
    return into


def rows_of(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: Table,
    keys: set[Hashable] | None,
    *,
    name: str | None = None,
) -> dict[Any, Row]:
    """The rows of ``schema.table`` (or ``schema.name``) with ``keys`` (all if None), by key."""
    sql = f"SELECT * FROM {schema}.{name or table.name}"
    if keys is None or len(keys) > MANY_KEYS:
        result = con.execute(sql)
    else:
        key_type = table.columns[table.key]
        result = con.execute(
            f"{sql} WHERE list_contains(?::{key_type}[], {table.key})", [list(keys)]
        )
    names = [d[0] for d in result.description]
    return {row[table.key]: row for row in (dict(zip(names, r)) for r in result.fetchall())}


def compare(table: str, before: dict[Any, Row], after: dict[Any, Row]) -> list[RowChange]:
    """The rows that differ between two versions of ``table`` (by key): inserted,
    changed or deleted."""
    changes = [
        RowChange(table, key, "changed" if key in before else "inserted", before.get(key), row)
        for key, row in after.items()
        if before.get(key) != row
    ]
    changes += [
        RowChange(table, key, "deleted", row, None)
        for key, row in before.items()
        if key not in after
    ]
    return changes


def put_back(
    con: duckdb.DuckDBPyConnection, schema: str, table: Table, keys: set[Hashable] | None
) -> None:
    """Make ``main.table``'s rows with ``keys`` (or all) what ``schema.table`` holds."""
    name, key = table.name, table.key
    if keys is None or len(keys) > MANY_KEYS:
        con.execute(f"DELETE FROM main.{name}")
        con.execute(f"INSERT INTO main.{name} SELECT * FROM {schema}.{name}")
        return
    if not keys:
        return
    wanted = f"list_contains(?::{table.columns[key]}[], {key})"
    con.execute(f"DELETE FROM main.{name} WHERE {wanted}", [list(keys)])
    con.execute(
        f"INSERT INTO main.{name} SELECT * FROM {schema}.{name} WHERE {wanted}", [list(keys)]
    )
