"""The projector: moves events from the event store into every read model, exactly once.

For each batch it opens one DuckDB transaction, lets each projection write its tables,
advances that projection's checkpoint in the *same* transaction, and commits. A crash
before the commit leaves tables and checkpoint as they were, so the batch is simply
delivered again; a batch that already committed is never applied twice, because its
events sit at or below the checkpoint. That is the fix for the seed's bug 3
(``total_amount = total_amount + $1`` counting a redelivered event twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cqrs_lab.clock import Clock, SystemClock
from cqrs_lab.event_store import InMemoryEventStore, RecordedEvent
from cqrs_lab.projection import Projection, no_gc_pauses

CHECKPOINTS = "projector_checkpoints"

#: Events per chunk in ``rebuild`` (one transaction either way; fewer, bigger folds).
_REBUILD_CHUNK = 200_000

#: Progress callback: ``(events_done, events_total)``.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Lag:
    """How far the read side trails the write side at one moment."""

    at: datetime
    """When it was measured (lab clock)."""
    head: int
    """The event store's newest position."""
    position: int
    """The slowest projection's checkpoint."""
    events_behind: int
    """``head - position``: events stored but not yet in every read model."""
    seconds_behind: float
    """Age of the oldest unprojected event (0.0 when caught up)."""


@dataclass(frozen=True)
class BatchCommitted:
    """One committed projector transaction (for timelines and progress displays)."""

    projections: tuple[str, ...]
    first_position: int
    last_position: int
    committed_at: datetime


class Projector:
    """Runs projections over the event store, batch by batch, checkpointed in DuckDB."""

    def __init__(
        self,
        event_store: InMemoryEventStore,
        connection: duckdb.DuckDBPyConnection,
        *,
        projections: Iterable[Projection] = (),
        clock: Clock | None = None,
        batch_size: int = 1000,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.event_store = event_store
        self.connection = connection
        """The writable DuckDB connection: projections only. Everyone else uses read_db."""
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        """How many events one transaction applies during ``catch_up``."""
        self.projections: dict[str, Projection] = {}
        self._checkpoints: dict[str, int] = {}  # mirror of the committed checkpoint rows
        self.observers: list[Callable[[BatchCommitted], None]] = []
        """Told after each commit."""
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} "
            "(projection VARCHAR PRIMARY KEY, position BIGINT NOT NULL, updated_at TIMESTAMP)"
        )
        for projection in projections:
            self.add(projection)

    # -- projections and checkpoints ------------------------------------------------------

    def add(self, projection: Projection) -> None:
        """Start running ``projection``; it begins at its stored checkpoint (0 if new)."""
        if projection.name in self.projections:
            raise ValueError(f"a projection named {projection.name!r} is already running")
        projection.create_tables(self.connection)
        self.connection.execute(
            f"INSERT INTO {CHECKPOINTS} VALUES (?, 0, NULL) ON CONFLICT DO NOTHING",
            [projection.name],
        )
        self.projections[projection.name] = projection
        self._reload_checkpoints()

    def checkpoints(self) -> dict[str, int]:
        """Each projection's committed position."""
        return dict(self._checkpoints)

    def _reload_checkpoints(self) -> None:
        """Re-read the committed checkpoints (after a commit or a rollback)."""
        rows = self.connection.execute(f"SELECT projection, position FROM {CHECKPOINTS}").fetchall()
        stored = dict(rows)
        self._checkpoints = {name: stored[name] for name in self.projections}

    @property
    def position(self) -> int:
        """The slowest projection's checkpoint: every read model is complete up to here."""
        return min(self.checkpoints().values(), default=self.event_store.head)

    def lag(self) -> Lag:
        """Events and seconds the read side is behind the event store, right now."""
        head, position, now = self.event_store.head, self.position, self.clock.now()
        oldest = self.event_store.read_all(after=position, limit=1)
        seconds = (now - oldest[0].recorded_at).total_seconds() if oldest else 0.0
        return Lag(now, head, position, head - position, max(seconds, 0.0))

    # -- running --------------------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Apply the next ``n`` events (default one) in one transaction; returns how many."""
        if n < 1:
            raise ValueError(f"step needs n >= 1, got {n}")
        return self._apply_next(list(self.projections.values()), n)

    def catch_up(self, on_progress: Progress | None = None) -> int:
        """Apply everything not yet projected, ``batch_size`` events per transaction."""
        selected = list(self.projections.values())
        total = self.event_store.head - self.position
        done = 0
        while applied := self._apply_next(selected, self.batch_size):
            done += applied
            if on_progress:
                on_progress(done, total)
        return done

    def rebuild(
        self, names: Iterable[str] | None = None, on_progress: Progress | None = None
    ) -> int:
        """Recompute read models from position 0, in one transaction; returns events read.

        Queries keep seeing the old tables until the rebuild commits.
        """
        selected = [self.projections[n] for n in (names or self.projections)]
        total = self.event_store.head
        with no_gc_pauses(), self._transaction() as con:
            for projection in selected:
                projection.clear(con)
            con.execute(
                f"UPDATE {CHECKPOINTS} SET position = 0 WHERE list_contains(?, projection)",
                [[p.name for p in selected]],
            )
            done = 0
            while done < total:
                # One transaction anyway: big chunks amortise each SELECT and upsert.
                chunk = max(self.batch_size, _REBUILD_CHUNK)
                batch = self.event_store.read_all(after=done, limit=min(chunk, total - done))
                self._rebuild_batch(selected, batch)
                done = batch[-1].position
                if on_progress:
                    on_progress(done, total)
        if total:
            self._notify(selected, 1, total)
        return total

    # -- internals ------------------------------------------------------------------------

    def _rebuild_batch(self, selected: list[Projection], batch: list[RecordedEvent]) -> None:
        """``_apply_batch`` for a rebuild: every checkpoint is behind the whole batch, so
        only the event types need filtering, and that is decided once per type."""
        kinds = {type(r.event) for r in batch}
        for projection in selected:
            handled = {kind for kind in kinds if issubclass(kind, projection.handles)}
            if handled == kinds:
                wanted = batch
            else:
                wanted = [r for r in batch if type(r.event) in handled]
            if wanted:
                projection.apply_batch(self.connection, wanted)
        self._set_checkpoints(selected, batch[-1].position)

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One DuckDB transaction: commit on success, roll back on any error or interrupt."""
        con = self.connection
        con.begin()
        try:
            yield con
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            self._reload_checkpoints()

    def _apply_next(self, selected: list[Projection], limit: int) -> int:
        start = min((self._checkpoints[p.name] for p in selected), default=self.event_store.head)
        batch = self.event_store.read_all(after=start, limit=limit)
        if not batch:
            return 0
        with self._transaction():
            self._apply_batch(selected, batch, self._checkpoints)
        self._notify(selected, batch[0].position, batch[-1].position)
        return len(batch)

    def _apply_batch(
        self, selected: list[Projection], batch: list[RecordedEvent], checkpoints: dict[str, int]
    ) -> None:
        """Inside an open transaction: each projection folds the events past its checkpoint."""
        for projection in selected:
            after = checkpoints[projection.name]
            wanted = [
                r for r in batch if r.position > after and isinstance(r.event, projection.handles)
            ]
            if wanted:
                projection.apply_batch(self.connection, wanted)
        self._set_checkpoints(selected, batch[-1].position)

    def _set_checkpoints(self, selected: list[Projection], position: int) -> None:
        self.connection.execute(
            # Never move a checkpoint backwards: a projection ahead of this batch keeps its place.
            f"UPDATE {CHECKPOINTS} SET position = greatest(position, ?), updated_at = ? "
            "WHERE list_contains(?, projection)",
            [position, self.clock.now(), [p.name for p in selected]],
        )

    def _notify(self, selected: list[Projection], first: int, last: int) -> None:
        done = BatchCommitted(tuple(p.name for p in selected), first, last, self.clock.now())
        for observer in list(self.observers):
            observer(done)
