"""The projector: moves events from the event store into every read model, exactly once.

For each batch it opens one DuckDB transaction, lets each projection write its tables,
advances that projection's checkpoint in the *same* transaction, and commits. A crash
before the commit leaves tables and checkpoint as they were, so the batch is simply
delivered again; a batch that already committed is never applied twice, because its
events sit at or below the checkpoint. That is the fix for the seed's bug 3
(``total_amount = total_amount + $1`` counting a redelivered event twice).

Delivery is checked by position (:mod:`cqrs_lab.breaking.delivery`): duplicates are dropped and the
projector never skips ahead over a gap. An event a projection cannot apply follows the
``dead_letter_policy`` (:mod:`cqrs_lab.breaking.dead_letters`). ``projector.faults`` takes a
:class:`~cqrs_lab.breaking.faults.FaultPlan` that breaks delivery on purpose, for teaching and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cqrs_lab.breaking.dead_letters import POLICIES, DeadLetterPolicy, DeadLetters
from cqrs_lab.breaking.delivery import DeliveryIncident, event_problem, in_order
from cqrs_lab.breaking.faults import FaultPlan, InjectedCrash, tampered_positions
from cqrs_lab.read_side.columns import naive_utc
from cqrs_lab.read_side.projection import Projection, ProjectionError, no_gc_pauses
from cqrs_lab.time_and_ids.clock import Clock, SystemClock
from cqrs_lab.write_side.event_store import InMemoryEventStore, RecordedEvent

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
    dead_letters: int = 0
    """Events some projection could not apply and that still wait for a fix."""


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
        dead_letter_policy: DeadLetterPolicy = "raise",
        faults: FaultPlan | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if dead_letter_policy not in POLICIES:
            raise ValueError(
                f"dead_letter_policy must be one of {POLICIES}, got {dead_letter_policy!r}"
            )
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
        self.dead_letter_policy: DeadLetterPolicy = dead_letter_policy
        """What a poison event does: ``"raise"``, ``"stop"`` its projection, or ``"skip"`` it."""
        self.faults = faults
        """A :class:`FaultPlan` to break delivery on purpose (None: a healthy transport)."""
        self.incidents: list[DeliveryIncident] = []
        """Duplicates dropped, gaps refused and crashes seen, in order."""
        self.dead_letters = DeadLetters(connection)
        """The dead-letter table (``projector_dead_letters``) and its open entries."""
        self._failing: str | None = None  # the projection being applied, for dead letters
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
        dead = len(self.dead_letters.open)
        return Lag(now, head, position, head - position, max(seconds, 0.0), dead)

    # -- running --------------------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Apply the next ``n`` events (default one) in one transaction; returns how many."""
        if n < 1:
            raise ValueError(f"step needs n >= 1, got {n}")
        return self._apply_next(list(self.projections.values()), n)

    @property
    def stopped(self) -> dict[str, int]:
        """Projections halted by a dead letter (policy ``"stop"``): name -> its position."""
        return {name: pos for (name, pos), s in self.dead_letters.open.items() if s == "stopped"}

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

        Queries keep seeing the old tables until the rebuild commits. The fast path folds
        big chunks without per-event checks; when a fault plan or skipped dead letters are
        in play, or the fast path fails, the careful path runs instead: it skips skipped
        dead letters and names the projection and position of any event it cannot apply.
        """
        selected = [self.projections[n] for n in (names or self.projections)]
        careful = (
            self.faults is not None
            or bool(tampered_positions(self.event_store))
            or any(self.dead_letters.skipped(p.name) for p in selected)
        )
        try:
            total = self._rebuild(selected, on_progress, careful)
        except Exception:
            if careful:
                raise
            # Rolled back; the careful path fails again, but with an error naming the culprit.
            total = self._rebuild(selected, on_progress, careful=True)
        # A stopped projection's poison event was applied by this rebuild: it runs again.
        names = {p.name for p in selected}
        stopped = [k for k, s in self.dead_letters.open.items() if s == "stopped" and k[0] in names]
        self.dead_letters.set_status(stopped, "resolved")
        return total

    def _rebuild(
        self, selected: list[Projection], on_progress: Progress | None, careful: bool
    ) -> int:
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
                if careful:
                    self._apply_batch(selected, batch, dict.fromkeys(self._checkpoints, done))
                else:
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
            if wanted := _events_for(projection, batch, kinds):
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
        stopped = self.stopped
        selected = [p for p in selected if p.name not in stopped]
        start = min((self._checkpoints[p.name] for p in selected), default=self.event_store.head)
        batch = self._deliver(start, limit)
        if not batch:
            return 0
        try:
            with no_gc_pauses(), self._transaction():
                self._apply_batch(selected, batch, self._checkpoints)
                if self.faults:
                    self.faults.before_commit(batch)
        except InjectedCrash as crash:
            self.incidents.append(DeliveryIncident("crash", crash.position, str(crash)))
            raise
        except Exception as error:
            if self.dead_letter_policy == "raise":
                raise
            return self._dead_letter(selected, batch, error)
        self._notify(selected, batch[0].position, batch[-1].position)
        if self.faults:
            try:
                self.faults.after_commit(batch[-1].position)
            except InjectedCrash as crash:
                self.incidents.append(DeliveryIncident("crash", crash.position, str(crash)))
                raise
        return len(batch)

    def _deliver(self, start: int, limit: int) -> list[RecordedEvent]:
        """The next gap-free run of events after ``start``, through the (faulty) transport.

        A delivery that begins past a gap is refused and re-read from the checkpoint; after
        three refusals the projector waits (returns nothing) rather than skip ahead.
        """
        for _ in range(3):
            delivered = self.event_store.read_all(after=start, limit=limit)
            if self.faults:
                delivered = self.faults.deliver(delivered)
            batch, incidents = in_order(delivered, start)
            self.incidents.extend(incidents)
            if batch or not delivered:
                return batch
        return []

    def _dead_letter(self, selected: list[Projection], batch: list[RecordedEvent], error) -> int:
        """A batch failed under policy stop/skip: find the event, record it, go on."""
        if len(batch) > 1:
            # Which event? Replay the batch one event per transaction to isolate it.
            done = 0
            for _ in batch:
                if not (applied := self._apply_next(selected, 1)):
                    break
                done += applied
            return done
        name = getattr(error, "projection", None) or self._failing
        if name is None:
            raise error  # not an event's fault (e.g. the checkpoint write): nothing to skip
        status = "skipped" if self.dead_letter_policy == "skip" else "stopped"
        self.dead_letters.record(name, batch[0], error, status, self.clock.now())
        # The other projections (and, when skipping, this one) take the event without it.
        return self._apply_next(selected, 1)

    def _apply_batch(
        self, selected: list[Projection], batch: list[RecordedEvent], checkpoints: dict[str, int]
    ) -> None:
        """Inside an open transaction: each projection folds the events past its checkpoint.

        Damaged events and poisoned handlers raise ``ProjectionError`` naming the projection
        and position, which rolls the whole batch back.
        """
        # Refuse damaged events, naming the projection that met them. The store validates
        # every event at append, so only positions overwritten behind its back need a look.
        tampered = tampered_positions(self.event_store)
        problems = [
            (r, problem) for r in batch if r.position in tampered and (problem := event_problem(r))
        ]
        kinds = {type(r.event) for r in batch}
        for projection in selected:
            self._failing = projection.name
            after = checkpoints[projection.name]
            skipped = self.dead_letters.skipped(projection.name)
            for recorded, problem in problems:
                if recorded.position > after and recorded.position not in skipped:
                    raise ProjectionError(projection.name, recorded, problem)
            wanted = _events_for(projection, batch, kinds, after, skipped)
            if self.faults:
                for recorded in wanted:
                    self.faults.before_handle(projection.name, recorded)
            if wanted:
                projection.apply_batch(self.connection, wanted)
        self._failing = None
        self._set_checkpoints(selected, batch[-1].position)

    # -- dead letters ---------------------------------------------------------------------

    def retry_dead_letters(self) -> int:
        """Try every open dead letter again (after the fix); returns how many now apply.

        A stopped projection resumes at the event that stopped it. A skipped event sits in
        the middle of its read model, so that projection is rebuilt with it, in one
        transaction: if the event still fails, nothing changes but the attempt count.
        """
        waiting = dict(self.dead_letters.open)
        if not waiting:
            return 0
        self.dead_letters.set_status(list(waiting), "retrying")
        for name in sorted({name for (name, _), status in waiting.items() if status == "skipped"}):
            try:
                self.rebuild([name])
            except Exception as error:
                # Rolled back: this projection's skipped events stay skipped, one more attempt
                # for the event that failed (or for each suspect, if the error has no position).
                keys = [k for k, s in waiting.items() if s == "skipped" and k[0] == name]
                self.dead_letters.set_status(keys, "skipped")
                position = getattr(error, "position", None)
                for _, failed_at in [(name, position)] if position else keys:
                    failed = self.event_store.read_all(after=failed_at - 1, limit=1)[0]
                    self.dead_letters.record(name, failed, error, "skipped", self.clock.now())
        try:
            self.catch_up()
        finally:
            # Resolved: no longer failing and applied (its projection is past it). A crash
            # mid-retry puts the rest back as they were.
            checkpoints = self.checkpoints()
            resolved = [
                (name, position)
                for name, position in waiting
                if (name, position) not in self.dead_letters.open
                and checkpoints.get(name, 0) >= position
            ]
            self.dead_letters.set_status(resolved, "resolved")
            for status in ("skipped", "stopped"):
                again = [k for k, s in waiting.items() if s == status]
                again = [k for k in again if k not in resolved and k not in self.dead_letters.open]
                self.dead_letters.set_status(again, status)
        return len(resolved)

    def _set_checkpoints(self, selected: list[Projection], position: int) -> None:
        self.connection.execute(
            # Never move a checkpoint backwards: a projection ahead of this batch keeps its place.
            f"UPDATE {CHECKPOINTS} SET position = greatest(position, ?), updated_at = ? "
            "WHERE list_contains(?, projection)",
            [position, naive_utc(self.clock.now()), [p.name for p in selected]],
        )

    def _notify(self, selected: list[Projection], first: int, last: int) -> None:
        done = BatchCommitted(tuple(p.name for p in selected), first, last, self.clock.now())
        for observer in list(self.observers):
            observer(done)


def _events_for(
    projection: Projection,
    batch: list[RecordedEvent],
    kinds: set[type],
    after: int = 0,
    skipped: set[int] | frozenset[int] = frozenset(),
) -> list[RecordedEvent]:
    """The events of ``batch`` that ``projection`` reads: past ``after``, not skipped, of a
    type it handles. Types are decided once per batch (``kinds``), not once per event."""
    handled = {kind for kind in kinds if issubclass(kind, projection.handles)}
    if skipped or after >= batch[0].position:
        return [
            r
            for r in batch
            if r.position > after and r.position not in skipped and type(r.event) in handled
        ]
    return batch if handled == kinds else [r for r in batch if type(r.event) in handled]
