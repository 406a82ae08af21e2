"""A scratch copy of a lab's read models that can be put at any position, for the stepper.

Forward it runs the real projections over the next events (a projector over
:class:`~cqrs_lab.write_side.event_source.SourceUpTo`, one transaction per move). Backward
it travels in time: the read models as of ``N`` are folded again from the log, as
:func:`~cqrs_lab.read_models_as_of` does, into its own scratch database (kept between
moves: a fresh DuckDB per move would cost more than the fold). To keep a step back quick
with many events, the fold starts from the nearest saved copy of the scratch tables at or
before ``N`` (one every :data:`SNAPSHOT_EVERY` events, taken on the way forward) instead
of from position 0. Nothing is ever undone, and the live lab is never touched.

:meth:`Replay.apply` moves to a position and reports what the event there changed, row by
row (:class:`RowChange`): before is the read models as of ``N - 1``, after as of ``N``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cqrs_lab.read_side.projection import Projection
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.write_side.event_source import EventSource, SourceUpTo

#: Events between two saved copies of the scratch tables (where a step back starts folding).
SNAPSHOT_EVERY = 500


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


@dataclass(frozen=True)
class StepResult:
    """What moving to ``position`` showed: the rows changed, or why the event failed."""

    position: int
    changes: list[RowChange] = field(default_factory=list)
    error: str = ""
    travelled: bool = False
    """True if it got here by time travel (rebuilt from position 0), not by stepping."""


class Replay:
    """Scratch read models over ``source``, run by ``projections`` (a lab's, reused:
    they hold no state of their own), at :attr:`position`."""

    def __init__(
        self, source: EventSource, projections: Iterable[Projection], *, clock=None
    ) -> None:
        self.view = SourceUpTo(source, 0)
        self.connection = duckdb.connect(":memory:")
        self.projector = Projector(
            self.view,
            self.connection,
            projections=projections,
            clock=clock or getattr(source, "clock", None),
        )
        self.tables = [t for p in self.projector.projections.values() for t in p.tables]
        self.position = 0
        """The position the scratch read models are at."""
        self.snapshots: set[int] = set()
        """Positions with a saved copy of every scratch table (schema ``replay_at_<N>``)."""

    def move_to(self, position: int) -> bool:
        """Put the read models at ``position``; returns True if that took time travel.

        Raises:
            ValueError: if ``position`` is outside ``0..head``.
        """
        head = self.view.source.head
        if not 0 <= position <= head:
            raise ValueError(f"position must be between 0 and {head}, got {position}")
        travelled = position < self.position
        if travelled:
            self._restore(max((p for p in self.snapshots if p <= position), default=0))
        # Forward, saving a copy of the tables at every SNAPSHOT_EVERY-th position passed.
        for boundary in range(
            (self.position // SNAPSHOT_EVERY + 1) * SNAPSHOT_EVERY, position + 1, SNAPSHOT_EVERY
        ):
            self._fold_to(boundary)
            self._save()
        self._fold_to(position)
        return travelled

    def _fold_to(self, position: int) -> None:
        self.view.head = position
        self.projector.catch_up()
        self.position = position

    def _save(self) -> None:
        if self.position in self.snapshots:
            return
        schema = f"replay_at_{self.position}"
        self.connection.execute(f"CREATE SCHEMA {schema}")
        for table in self.tables:
            self.connection.execute(
                f"CREATE TABLE {schema}.{table.name} AS SELECT * FROM main.{table.name}"
            )
        self.snapshots.add(self.position)

    def _restore(self, position: int) -> None:
        """Put the tables back as they were at ``position`` (a saved copy, or empty at 0)."""
        self.view.head = position
        if position == 0:
            self.projector.rebuild()  # nothing to fold: empties the tables
        else:
            selected = list(self.projector.projections.values())
            with self.projector.transaction() as con:
                for table in self.tables:
                    con.execute(f"DELETE FROM main.{table.name}")
                    con.execute(
                        f"INSERT INTO main.{table.name} "
                        f"SELECT * FROM replay_at_{position}.{table.name}"
                    )
                self.projector.set_checkpoints(selected, position, backwards=True)
        self.position = position

    def apply(self, position: int) -> StepResult:
        """Move to ``position`` and report the rows the event at ``position`` changed.

        Raises:
            ValueError: if ``position`` is outside ``1..head``.
        """
        if position < 1:
            raise ValueError(f"there is no event at position {position}; the first is 1")
        travelled = self.move_to(position - 1)
        for table in self.tables:
            self.connection.execute(
                f"CREATE OR REPLACE TEMP TABLE before_{table.name} AS SELECT * FROM {table.name}"
            )
        try:
            self.move_to(position)
        except Exception as error:  # a damaged or poisoned event: shown, never swallowed
            return StepResult(position, [], f"{type(error).__name__}: {error}", travelled)
        changes = [change for table in self.tables for change in self._diff(table)]
        return StepResult(position, changes, "", travelled)

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a scratch table now (for small tables and tests)."""
        result = self.connection.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]

    def _diff(self, table) -> list[RowChange]:
        """Rows that differ between ``before_<table>`` and ``<table>``, by key."""
        name, key = table.name, table.key
        new = self._records(f"SELECT * FROM {name} EXCEPT SELECT * FROM before_{name}", key)
        old = self._records(f"SELECT * FROM before_{name} EXCEPT SELECT * FROM {name}", key)
        changes = []
        for k, row in new.items():
            kind = "changed" if k in old else "inserted"
            changes.append(RowChange(name, k, kind, old.get(k), row))
        for k, row in old.items():
            if k not in new:
                changes.append(RowChange(name, k, "deleted", row, None))
        return changes

    def _records(self, sql: str, key: str) -> dict[Any, dict[str, Any]]:
        result = self.connection.execute(sql)
        names = [d[0] for d in result.description]
        return {r[key]: r for r in (dict(zip(names, row)) for row in result.fetchall())}
