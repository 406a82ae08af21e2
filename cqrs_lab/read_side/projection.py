"""Projections: read models folded from events into DuckDB tables, a batch at a time.

A read model is a left fold, ``row = apply(row, event)``; its author writes only that
(a ``match`` over events) and these base classes make it fast. For each batch the
projector hands over, the machinery here

1. loads every row the batch's events name with one SELECT per table (none at all for a
   table that is still empty, as on a first catch-up or in a rebuild),
2. folds the events into those rows in memory, in order (a key never reaches DuckDB
   twice, whose ``ON CONFLICT`` would otherwise resolve it silently), a slice at a time
   in turn with the other projections (:func:`fold_steps`), so each reads events that
   are still in the CPU's cache,
3. writes the result with one statement per table and kind of change: an INSERT of the
   rows the batch created and an upsert of the rows it loaded, as NumPy columns.

Because every row a batch names is loaded before the fold, ``apply`` sees the row as
stored: a second "created" event for an existing row reaches ``apply`` with that row and
is refused there, naming the event, before anything is written. Any ``LookupError`` or
``ValueError`` from ``apply`` becomes a :class:`ProjectionError` naming the projection and
the event's position, and the projector rolls the whole batch back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Hashable, Iterable
from itertools import compress
from operator import attrgetter
from typing import Any, ClassVar
from uuid import UUID

import duckdb

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.read_side.table import Row, Table
from cqrs_lab.write_side.collector import no_gc_pauses
from cqrs_lab.write_side.event_store import RecordedEvent

__all__ = [
    "NewTableRows",
    "Projection",
    "ProjectionError",
    "Row",
    "RowNotFoundError",
    "RowProjection",
    "Table",
    "TableRows",
    "TablesProjection",
    "fold_steps",
    "no_gc_pauses",
]

#: Events a projection folds between two yields of :meth:`Projection.fold_in_steps`. The
#: projector runs its projections' steps in turn, so every projection folds a slice of
#: the batch while that slice's events are still in the CPU's cache (a batch of 50,000
#: events is far bigger than the cache; a slice of this size is not).
FOLD_STEP = 1024

#: What :meth:`Projection.fold_in_steps` returns: a generator that loads rows before its
#: first yield, folds a slice of the batch before each next one, and writes when it ends.
FoldSteps = Generator[None, None, None]

#: A batch of at least this many events first asks whether each table is empty (as on a
#: first catch-up or in a rebuild): then nothing is fetched and no key needs gathering.
#: Smaller batches fetch directly, one SELECT per table.
CHECK_EMPTY_FROM = 1000


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

    def fold_in_steps(
        self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]
    ) -> FoldSteps:
        """:meth:`apply_batch` as a generator the projector advances in turn with other
        projections' (see :data:`FOLD_STEP`); the result is the same as ``apply_batch``'s.

        By default the whole batch is one step. The base classes below fold slice by slice.
        """
        self.apply_batch(con, batch)
        yield


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
        found = _under_given_keys(self.table.fetch(self.con, wanted), wanted)
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

    @classmethod
    def for_batch(
        cls, table: Table, con: duckdb.DuckDBPyConnection, events: int
    ) -> TableRows | NewTableRows:
        """The rows of ``table`` for a batch of ``events`` events: :class:`NewTableRows` if
        the batch is big enough to ask (:data:`CHECK_EMPTY_FROM`) and the table is empty."""
        if events >= CHECK_EMPTY_FROM and table.is_empty(con):
            return NewTableRows(table, con)
        return cls(table, con)

    def write(self) -> None:
        """Insert the new rows and upsert the stored ones (one statement each)."""
        unread = self.keys() - self.looked_up
        if unread:  # set without being read: a stored row there is replaced, not doubled
            self.stored.update(self.table.fetch(self.con, unread))
        # The stored rows are taken out (few, by key), so the rest are the new rows as
        # they are: no look-up per row, which for UUID keys would run Python's hash.
        loaded = [dict.pop(self, key) for key in self.stored if dict.__contains__(self, key)]
        if loaded:
            self.table.upsert(self.con, loaded)
        self.table.insert(self.con, self.values())


class NewTableRows(dict[Hashable, Row]):
    """:class:`TableRows` of a table that held no row when the batch began.

    Nothing is stored, so nothing needs fetching: ``[]``, ``get`` and ``in`` are a plain
    dict's (C code, no per-read check), a key that was never set is missing, and
    :meth:`write` inserts every row with one statement.
    """

    def __init__(self, table: Table, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__()
        self.table = table
        self.con = con

    def load(self, keys: Iterable[Hashable]) -> None:
        """Nothing to fetch: the table is empty."""

    def __missing__(self, key: Hashable) -> Row:
        raise RowNotFoundError(self.table, key)

    def write(self) -> None:
        """Insert every row (one statement)."""
        self.table.insert(self.con, self.values())


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
        for _ in self.fold_in_steps(con, batch):
            pass

    def fold_in_steps(
        self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]
    ) -> FoldSteps:
        if _overrides_apply_batch(self, RowProjection):
            yield from super().fold_in_steps(con, batch)
            return
        with no_gc_pauses():
            key_of, apply, table = self.key_of, self.apply, self.table
            events = [recorded.event for recorded in batch]
            keys = list(map(key_of, events))
            # Rows are held by a stand-in key that hashes in C (see _dict_keys).
            ids = _dict_keys(keys)
            if len(batch) >= CHECK_EMPTY_FROM and table.is_empty(con):
                stored = {}
            else:
                stored = table.fetch(con, dict(zip(ids, keys)).values())
            rows = dict(zip(_dict_keys(list(stored)), stored.values()))
            stored_ids = list(rows)
            get = rows.get
        yield
        for start in range(0, len(events), FOLD_STEP):
            end = start + FOLD_STEP
            with no_gc_pauses():
                try:
                    for key, event in zip(ids[start:end], events[start:end]):
                        row = get(key)
                        new = apply(row, event)
                        if new is not row:
                            rows[key] = new
                except (LookupError, ValueError) as error:
                    failed = batch[_index_of(event, events, start)]
                    raise ProjectionError(self.name, failed, str(error)) from error
            yield
        with no_gc_pauses():
            if stored_ids:
                table.upsert(con, [rows[key] for key in stored_ids])
                for key in stored_ids:
                    del rows[key]
            table.insert(con, rows.values())


def fold_steps(
    projections: list[tuple[Projection, list[RecordedEvent]]],
    con: duckdb.DuckDBPyConnection,
    on_error: Callable[[Projection, list[RecordedEvent], Exception], Exception],
) -> None:
    """Apply each projection's events (``(projection, events)`` pairs, in order), advancing
    their :meth:`~Projection.fold_in_steps` in turn, slice by slice.

    The outcome is that of calling ``apply_batch`` for each pair in order: if several
    projections fail, the error raised is the first projection's (the others ran only as
    far as it did): a :class:`ProjectionError` as it is, anything else as the exception
    ``on_error(projection, events, error)`` returns, caused by it.
    """
    if any(_folds_itself(projection) for projection, _ in projections):
        # Its own SQL may read another projection's table as that one left it: in order.
        for projection, events in projections:
            try:
                projection.apply_batch(con, events)
            except ProjectionError:
                raise
            except Exception as error:
                raise on_error(projection, events, error) from error
        return
    running = [
        (n, projection, events, projection.fold_in_steps(con, events))
        for n, (projection, events) in enumerate(projections)
    ]
    failure: tuple[int, Projection, list[RecordedEvent], Exception] | None = None
    try:
        while running:
            for entry in list(running):
                n, projection, events, steps = entry
                if failure is not None and n > failure[0]:
                    running.remove(entry)  # an earlier projection failed: its error wins
                    steps.close()
                    continue
                try:
                    next(steps)
                except StopIteration:
                    running.remove(entry)
                except Exception as error:
                    running.remove(entry)
                    failure = (n, projection, events, error)
    finally:
        for *_, steps in running:
            steps.close()
    if failure is not None:
        _, projection, events, error = failure
        if isinstance(error, ProjectionError):
            raise error
        raise on_error(projection, events, error) from error


def _overrides_apply_batch(projection: Projection, base: type[Projection]) -> bool:
    """Whether ``projection`` folds with an ``apply_batch`` of its own (its class's or one
    set on the object), which its steps must then call instead of the base's fold."""
    return getattr(projection.apply_batch, "__func__", None) is not base.apply_batch


def _folds_itself(projection: Projection) -> bool:
    """Whether ``projection`` folds with its own ``apply_batch`` (its own SQL, say)."""
    for base in (RowProjection, TablesProjection):
        if isinstance(projection, base):
            return _overrides_apply_batch(projection, base)
    return True


def _index_of(event: DomainEvent, events: list[DomainEvent], start: int) -> int:
    """Where ``event`` (the very object) sits in ``events``, searching from ``start``."""
    return next(i for i in range(start, len(events)) if events[i] is event)


def _under_given_keys(found: dict[Any, Row], wanted: set[Hashable]) -> dict[Any, Row]:
    """``found`` keyed by the very objects of ``wanted`` its keys equal.

    DuckDB hands back each UUID as a new object. A fold looks rows up by its events' own
    key objects, and a dict confirms a hit on an equal object that is not the same one
    with ``UUID.__eq__``, Python code, on every look-up of the batch; matched here once
    (through the integers, see :func:`_dict_keys`), each look-up is an identity check.
    """
    if not found:
        return found
    given = list(wanted)
    ids = _dict_keys(given)
    if ids is given:  # not UUIDs: their own equality is what it is
        return found
    by_id = dict(zip(ids, given))
    return {
        (by_id.get(key.int, key) if isinstance(key, UUID) else key): row
        for key, row in found.items()
    }


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
    :class:`TableRows`, a dict by key (a :class:`NewTableRows` for a table still empty).
    Before the fold, every row an event names is loaded: an event names the row of each
    table whose key column is one of its fields (an ``order_id`` field names the
    ``customer_stats_orders`` row keyed by ``order_id``). Override :meth:`keys_of` to name
    rows otherwise. Any other row ``apply`` reads is loaded when it is first read (the
    customer of an order from an earlier batch, say).
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

    def _named_keys(
        self, batch: list[RecordedEvent], tables: Iterable[Table]
    ) -> dict[str, Iterable[Hashable]]:
        """Every key each of ``tables``' rows is named by in ``batch`` (each key once)."""
        wanted: dict[str, Iterable[Hashable]] = {}
        if type(self).keys_of is not TablesProjection.keys_of:
            named: dict[str, set[Hashable]] = {table.name: set() for table in self.tables}
            for recorded in batch:
                for name, key in self.keys_of(recorded.event).items():
                    named[name].add(key)
            return named
        # By field names, decided once per event type; each table's events and keys are
        # picked in C code (compress and map over a getter), not a Python loop.
        events = [recorded.event for recorded in batch]
        types = list(map(type, events))
        kinds = set(types)
        for table in tables:
            having = {kind for kind in kinds if table.key in getattr(kind, "model_fields", {})}
            if not having:
                continue
            named = (
                events
                if having == kinds
                else list(compress(events, map(having.__contains__, types)))
            )
            keys = list(map(attrgetter(table.key), named))
            # One entry per key, found by a key that hashes in C (see _dict_keys).
            wanted[table.name] = dict(zip(_dict_keys(keys), keys)).values()
        return wanted

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        for _ in self.fold_in_steps(con, batch):
            pass

    def fold_in_steps(
        self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]
    ) -> FoldSteps:
        if _overrides_apply_batch(self, TablesProjection):
            yield from super().fold_in_steps(con, batch)
            return
        with no_gc_pauses():
            rows = {t.name: TableRows.for_batch(t, con, len(batch)) for t in self.tables}
            stored = [t for t in self.tables if type(rows[t.name]) is TableRows]
            for name, keys in self._named_keys(batch, stored).items():
                rows[name].load(keys)
        yield
        apply = self.apply
        for start in range(0, len(batch), FOLD_STEP):
            with no_gc_pauses():
                for recorded in batch[start : start + FOLD_STEP]:
                    try:
                        apply(rows, recorded.event)
                    except (LookupError, ValueError) as error:
                        raise ProjectionError(self.name, recorded, str(error)) from error
            yield
        with no_gc_pauses():
            for table_rows in rows.values():
                table_rows.write()
