"""A scratch copy of a lab's read models that can be put at any position, for the stepper.

The read models as of ``N`` are folded from the log, as
:func:`~cqrs_lab.read_models_as_of` does, into the replay's own scratch DuckDB (kept
between moves: a fresh database per move would cost more than the fold), by the lab's
own projections. Nothing is ever undone, and the live lab is never touched.

To show event ``N``, :meth:`Replay.apply` starts from a saved copy of the scratch tables at
or before ``N - 1`` (one every :data:`SNAPSHOT_EVERY` events, kept, and one every
:data:`NEAR_EVERY` events in the last :data:`NEAR_SPAN` before where the tables went, the
last :data:`NEAR_KEPT` of those kept), folds the events up to ``N - 1`` and then event
``N`` alone in one transaction, reads what event ``N`` changed, and rolls the transaction
back: the tables stay at the copy, ready for the next step. A step back is time travel
(the states before and after ``N`` are folded again from the log), and it is as quick as
a step forward. The projections note the rows they read and write
(:mod:`cqrs_lab.presentation.replay_rows`), so a diff reads only the event's rows and
putting a copy back rewrites only the rows touched since.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cqrs_lab.presentation.replay_rows import (
    KeyNotingTable,
    Keys,
    RowChange,
    compare,
    forget_notes,
    merge,
    noted_projection,
    put_back,
    rows_of,
    take_written,
    written_keys,
)
from cqrs_lab.read_side.projection import Projection
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.write_side.event_source import EventSource, SourceUpTo

__all__ = ["Replay", "RowChange", "StepResult"]

#: Events between two saved copies kept for the replay's whole life.
SNAPSHOT_EVERY = 500
#: Events between two saved copies near where the tables went (a step folds fewer).
NEAR_EVERY = 25
#: How far below the end of a fold those near copies reach.
NEAR_SPAN = 500
#: Near copies kept; the least recently used go first.
NEAR_KEPT = 64


@dataclass(frozen=True)
class StepResult:
    """What moving to ``position`` showed: the rows changed, or why the event failed."""

    position: int
    changes: list[RowChange] = field(default_factory=list)
    error: str = ""
    travelled: bool = False
    """True if it got here by time travel: back from a later event, folded again."""
    folded_from: int = 0
    """The position of the saved copy the fold started from."""


class Replay:
    """Scratch read models over ``source``, run by ``projections`` (copies of a lab's that
    note the rows they touch; they hold no state of their own), at :attr:`position`."""

    def __init__(
        self, source: EventSource, projections: Iterable[Projection], *, clock=None
    ) -> None:
        self.view = SourceUpTo(source, 0)
        # One thread: a step is a few dozen small statements, and on a busy machine
        # waiting for a second thread costs more than it brings.
        self.connection = duckdb.connect(":memory:", config={"threads": 1})
        self.projector = Projector(
            self.view,
            self.connection,
            projections=[noted_projection(p) for p in projections],
            clock=clock or getattr(source, "clock", None),
        )
        self.tables = [t for p in self.projector.projections.values() for t in p.tables]
        self.position = 0
        """The position the scratch tables (schema ``main``) are committed at."""
        self.snapshots: set[int] = set()
        """Positions with a saved copy of every scratch table (schema ``replay_at_<N>``)."""
        self._near: OrderedDict[int, None] = OrderedDict()
        """The droppable copies, least recently used first."""
        self._folds: dict[int, tuple[int, Keys]] = {}
        """End of a committed fold -> its start and the keys it wrote (the shortest one)."""
        self._shown = 0
        self._save(0, keep=True)  # the empty read models: where travel to the start begins

    def move_to(self, position: int) -> bool:
        """Commit the tables at ``position``; returns True if that took time travel.

        Raises:
            ValueError: if ``position`` is outside ``0..head``.
        """
        head = self.view.source.head
        if not 0 <= position <= head:
            raise ValueError(f"position must be between 0 and {head}, got {position}")
        travelled = position < self.position
        start = max(p for p in self.snapshots if p <= position)
        if travelled or start > self.position:  # a saved copy is nearer: start there
            self._restore(start)
        for boundary in self._boundaries(self.position, position):
            self._fold_to(boundary)
            self._save(boundary, keep=boundary % SNAPSHOT_EVERY == 0)
        self._fold_to(position)
        return travelled

    def apply(self, position: int) -> StepResult:
        """Report the rows the event at ``position`` changed (before: as of ``N - 1``).

        Raises:
            ValueError: if ``position`` is outside ``1..head``.
        """
        if position < 1:
            raise ValueError(f"there is no event at position {position}; the first is 1")
        travelled, self._shown = position < self._shown, position
        base = self.position
        try:
            base = self._base_for(position - 1)
            with self._scratch(position - 1) as con:
                unnoted = [t for t in self.tables if not isinstance(t, KeyNotingTable)]
                for table in unnoted:
                    con.execute(
                        f"CREATE TEMP TABLE before_{table.name} AS SELECT * FROM main.{table.name}"
                    )
                self._fold_scratch(position - 1, position)
                written = written_keys(self.projector.projections.values())
                changes = [c for t in self.tables for c in self._changes(t, written[t.name])]
        except Exception as error:  # a damaged or poisoned event: shown, never swallowed
            return StepResult(position, [], f"{type(error).__name__}: {error}", travelled, base)
        return StepResult(position, changes, "", travelled, base)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """Every row of a scratch table as of the position shown last (for tests)."""
        [table] = [t for t in self.tables if t.name == name]
        self._base_for(self._shown)
        with self._scratch(self._shown) as con:
            return list(rows_of(con, "main", table, None).values())

    # -- a fold that is rolled back --------------------------------------------------------

    @contextmanager
    def _scratch(self, position: int) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction in which the tables are folded from where they are to
        ``position``; rolled back at the end (the tables stay at :attr:`position`)."""
        self.connection.begin()
        try:
            self._fold_scratch(self.position, position)
            yield self.connection
        finally:
            self.connection.rollback()
            forget_notes(self.projector.projections.values())

    def _fold_scratch(self, after: int, end: int) -> None:
        """Inside a transaction: fold events ``after + 1 .. end``, checkpoints untouched.

        Raises:
            ProjectionError: naming the projection and position, as the projector does.
        """
        forget_notes(self.projector.projections.values())  # the run-up's notes
        if end <= after:
            return
        self.view.head = max(self.view.head, end)
        batch = list(self.projector.source.read_all(after=after, limit=end - after))
        selected = list(self.projector.projections.values())
        self.projector.apply_events(
            selected, batch, dict.fromkeys(self.projector.projections, after), checkpoint=False
        )

    def _changes(self, table, written) -> list[RowChange]:
        """The rows of ``table`` the last scratch fold changed (before: as fetched)."""
        if isinstance(table, KeyNotingTable):
            if not written:
                return []
            after = rows_of(self.connection, "main", table, written)
            return compare(
                table.name, {k: table.fetched[k] for k in written if k in table.fetched}, after
            )
        before = rows_of(self.connection, "temp", table, None, name=f"before_{table.name}")
        return compare(table.name, before, rows_of(self.connection, "main", table, None))

    # -- committed folds and saved copies ------------------------------------------------

    def _base_for(self, target: int) -> int:
        """Commit the tables at a position at most :data:`NEAR_EVERY` before ``target``
        (where they are, if near enough; else at a saved copy); returns it."""
        if not self.position <= target < self.position + NEAR_EVERY:
            nearest = max(p for p in self.snapshots if p <= target)
            self.move_to(max(nearest, target // NEAR_EVERY * NEAR_EVERY))
            self._save(self.position)
        elif self.position in self._near:
            self._near.move_to_end(self.position)
        return self.position

    def _boundaries(self, start: int, end: int) -> list[int]:
        """Where a fold from ``start`` to ``end`` stops to save a copy (none saved yet)."""
        kept = range((start // SNAPSHOT_EVERY + 1) * SNAPSHOT_EVERY, end, SNAPSHOT_EVERY)
        low = max(start, end - NEAR_SPAN)
        near = range((low // NEAR_EVERY + 1) * NEAR_EVERY, end, NEAR_EVERY)
        return sorted(p for p in {*kept, *near} if p not in self.snapshots)

    def _fold_to(self, position: int) -> None:
        start = self.position
        self.view.head = position
        try:
            self.projector.catch_up()
        finally:  # a failed batch rolled back; what its projections noted is kept (more)
            self.position = self.projector.position
            written = take_written(self.projector.projections.values())
            known = self._folds.get(self.position)
            if self.position > start and (known is None or known[0] < start):
                self._folds[self.position] = (start, written)

    def _written(self, low: int, high: int) -> Keys:
        """Keys of every row the events ``low + 1 .. high`` wrote (or may have), per table.

        Every position the tables were committed at was reached by a committed fold, so
        the folds noted chain back from ``high`` to ``low`` or earlier.
        """
        keys: Keys = {table.name: set() for table in self.tables}
        while high > low:
            high, written = self._folds[high]
            merge(keys, written)
        return keys

    def _save(self, position: int, *, keep: bool = False) -> None:
        """Copy the tables (committed at ``position``) to ``replay_at_<position>``."""
        if position in self.snapshots:
            if position in self._near:
                self._near.move_to_end(position)
            return
        schema = _schema(position)
        self.connection.execute(f"CREATE SCHEMA {schema}")
        for table in self.tables:
            self.connection.execute(
                f"CREATE TABLE {schema}.{table.name} AS SELECT * FROM main.{table.name}"
            )
        self.snapshots.add(position)
        if keep:
            return
        self._near[position] = None
        while len(self._near) > NEAR_KEPT:
            dropped, _ = self._near.popitem(last=False)
            self.connection.execute(f"DROP SCHEMA {_schema(dropped)} CASCADE")
            self.snapshots.discard(dropped)

    def _restore(self, position: int) -> None:
        """Put the tables back as saved at ``position``: only the rows touched since."""
        if position in self._near:
            self._near.move_to_end(position)
        keys = self._written(*sorted((position, self.position)))
        self.view.head = position
        selected = list(self.projector.projections.values())
        with self.projector.transaction() as con:
            for table in self.tables:
                put_back(con, _schema(position), table, keys[table.name])
            self.projector.set_checkpoints(selected, position, backwards=True)
        self.position = position


def _schema(position: int) -> str:
    return f"replay_at_{position}"
