"""Projections: read models folded from events into DuckDB tables, a batch at a time.

A read model is a left fold, ``row = apply(row, event)``; its author writes only that
(a ``match`` over events) and these base classes make it fast. For each batch the
projector hands over, the machinery here

1. loads every row the batch's events name with one SELECT per table,
2. folds the events into those rows in memory, in order (a key never reaches DuckDB
   twice, whose ``ON CONFLICT`` would otherwise resolve it silently),
3. writes the result with one statement per table and kind of change: an INSERT of the
   rows the batch created and an upsert of the rows it loaded, as NumPy columns.

Because every row a batch names is loaded before the fold, ``apply`` sees the row as
stored: a second "created" event for an existing row reaches ``apply`` with that row and
is refused there, naming the event, before anything is written. Any ``LookupError`` or
``ValueError`` from ``apply`` becomes a :class:`ProjectionError` naming the projection and
the event's position, and the projector rolls the whole batch back.
"""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, ClassVar
from uuid import UUID

import duckdb

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.read_side.table import Row, Table
from cqrs_lab.write_side.event_store import RecordedEvent

__all__ = [
    "Projection",
    "ProjectionError",
    "Row",
    "RowNotFoundError",
    "RowProjection",
    "Table",
    "TableRows",
    "TablesProjection",
    "no_gc_pauses",
]


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


class RowNotFoundError(KeyError):
    """``rows[key]`` for a key the table has no row for (a ``LookupError``, so a fold
    that meets it raises :class:`ProjectionError` with this message)."""

    def __init__(self, table: Table, key: Hashable) -> None:
        super().__init__(key)
        self.table = table.name
        self.key = key
        self.message = f"{table.name} has no row with {table.key} {key}"

    def __str__(self) -> str:
        return self.message


class TableRows(dict[Hashable, Row]):
    """The rows of one table a batch works on, by key: a dict that knows what is stored.

    :meth:`load` fetches rows with one SELECT; a key read that was never loaded (``[]``,
    ``get``, ``in``) is fetched then, so a fold always sees the stored row. :meth:`write`
    inserts the rows the batch created and upserts the ones that were stored.
    """

    def __init__(self, table: Table, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__()
        self.table = table
        self.con = con
        self.stored: set[Hashable] = set()
        """Keys that have a row in the table (fetched)."""
        self.looked_up: set[Hashable] = set()
        """Keys whose stored row was asked for, found or not."""

    def load(self, keys: Iterable[Hashable]) -> None:
        """Fetch the stored rows of ``keys`` not looked up yet, with one SELECT."""
        wanted = set(keys)
        if self.looked_up:
            wanted -= self.looked_up
        if not wanted:
            return
        self.looked_up |= wanted
        found = self.table.fetch(self.con, wanted)
        self.update(found)
        self.stored.update(found)

    def __missing__(self, key: Hashable) -> Row:
        if key not in self.looked_up:
            self.load([key])
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
        raise RowNotFoundError(self.table, key)

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        if key in self.looked_up:
            return False
        self.load([key])
        return dict.__contains__(self, key)

    def get(self, key: Hashable, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def write(self) -> None:
        """Insert the new rows and upsert the stored ones (one statement each)."""
        unread = self.keys() - self.looked_up
        if unread:  # set without being read: a stored row there is replaced, not doubled
            self.stored.update(self.table.fetch(self.con, unread))
        stored = self.stored
        if not stored:
            self.table.insert(self.con, self.values())
            return
        self.table.upsert(self.con, [row for key, row in self.items() if key in stored])
        self.table.insert(self.con, [row for key, row in self.items() if key not in stored])


class RowProjection(Projection):
    """A projection with one table and one row per key: implement ``key_of`` and ``apply``.

    ``apply`` is the seed's handler turned into a function of the row: given the row as it
    is (None if it does not exist yet) and an event, return the row after the event.
    Loading, batching and writing are done here, for every subclass alike.
    """

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

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        with no_gc_pauses():
            key_of, apply, table = self.key_of, self.apply, self.table
            keys = [key_of(recorded.event) for recorded in batch]
            # Rows are held by a stand-in key that hashes in C (see _dict_keys).
            ids = _dict_keys(keys)
            stored = table.fetch(con, dict(zip(ids, keys)).values())
            rows = dict(zip(_dict_keys(list(stored)), stored.values()))
            stored_ids = set(rows)
            get = rows.get
            for key, recorded in zip(ids, batch):
                row = get(key)
                try:
                    new = apply(row, recorded.event)
                except (LookupError, ValueError) as error:
                    raise ProjectionError(self.name, recorded, str(error)) from error
                if new is not row:
                    rows[key] = new
            if stored_ids:
                table.upsert(con, [rows[key] for key in stored_ids])
                table.insert(con, [row for key, row in rows.items() if key not in stored_ids])
            else:
                table.insert(con, rows.values())


def _dict_keys(keys: list[Hashable]) -> list[Hashable]:
    """``keys`` as dict keys that hash in C: a UUID's 128-bit integer, anything else as is.

    ``UUID.__hash__`` is Python code, and a batch fold looks each key up a few times; the
    integer names the same UUID, and hashes for free.
    """
    if keys and set(map(type, keys)) == {UUID}:
        return [key.int for key in keys]
    return keys


class TablesProjection(Projection):
    """A projection that folds events into several keyed tables: implement ``apply``.

    ``apply(rows, event)`` changes rows in place: ``rows`` maps each table's name to its
    :class:`TableRows`, a dict by key. Before the fold, every row an event names is
    loaded: an event names the row of each table whose key column is one of its fields
    (an ``order_id`` field names the ``customer_stats_orders`` row keyed by ``order_id``).
    Override :meth:`keys_of` to name rows otherwise. Any other row ``apply`` reads is
    loaded when it is first read (the customer of an order from an earlier batch, say).
    """

    def keys_of(self, event: DomainEvent) -> dict[str, Hashable]:
        """The rows ``event`` names: table name -> key (by default, matching field names)."""
        fields = getattr(type(event), "model_fields", {})
        return {
            table.name: getattr(event, table.key) for table in self.tables if table.key in fields
        }

    @abstractmethod
    def apply(self, rows: dict[str, TableRows], event: DomainEvent) -> None:
        """Change ``rows`` to reflect ``event``; raise ``LookupError`` or ``ValueError``
        if the event cannot apply."""

    def _named_keys(self, batch: list[RecordedEvent]) -> dict[str, set[Hashable]]:
        """Every key each table's rows are named by in ``batch``."""
        wanted: dict[str, set[Hashable]] = {table.name: set() for table in self.tables}
        if type(self).keys_of is not TablesProjection.keys_of:
            for recorded in batch:
                for name, key in self.keys_of(recorded.event).items():
                    wanted[name].add(key)
            return wanted
        # By field names, decided once per event type; a table whose key field every event
        # of the batch has takes its keys in one pass of C code (map over a getter).
        events = [recorded.event for recorded in batch]
        kinds = set(map(type, events))
        for table in self.tables:
            having = {kind for kind in kinds if table.key in getattr(kind, "model_fields", {})}
            if not having:
                continue
            named = events if having == kinds else [e for e in events if type(e) in having]
            wanted[table.name].update(map(attrgetter(table.key), named))
        return wanted

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        with no_gc_pauses():
            rows = {table.name: TableRows(table, con) for table in self.tables}
            for name, keys in self._named_keys(batch).items():
                rows[name].load(keys)
            apply = self.apply
            for recorded in batch:
                try:
                    apply(rows, recorded.event)
                except (LookupError, ValueError) as error:
                    raise ProjectionError(self.name, recorded, str(error)) from error
            for table_rows in rows.values():
                table_rows.write()
