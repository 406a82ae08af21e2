"""The projector: moves events from an event source into every read model, exactly once.

For each batch it opens one DuckDB transaction, lets each projection write its tables,
advances that projection's checkpoint in the *same* transaction, and commits. A crash
before the commit leaves tables and checkpoint as they were, so the batch is simply
delivered again; a batch that already committed is never applied twice, because its
events sit at or below the checkpoint. That is the fix for the seed's bug 3
(``total_amount = total_amount + $1`` counting a redelivered event twice).

The projector reads any :class:`~cqrs_lab.write_side.event_source.EventSource` (``head``
and ``read_all``), so another event store plugs in without a change here. Delivery is
checked by position (:mod:`cqrs_lab.breaking.delivery`): duplicates are dropped and the
projector never skips ahead over a gap. Around this core live rebuilds
(:mod:`cqrs_lab.read_side.rebuild`), poison-event isolation and dead-letter retries
(:mod:`cqrs_lab.breaking.isolation`, :mod:`cqrs_lab.breaking.retry`) and lag
(:mod:`cqrs_lab.observing.lag`).

One projector is safe to call from several threads: its runs take turns (a second
``catch_up`` waits for the first, then finds less or nothing to do).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cqrs_lab.breaking.damage import StoredEvents, tampered_positions
from cqrs_lab.breaking.dead_letters import POLICIES, DeadLetterPolicy, DeadLetters
from cqrs_lab.breaking.delivery import (
    DeliveryIncident,
    DeliveryStalledError,
    event_problem,
    in_order,
)
from cqrs_lab.breaking.faults import FaultPlan, InjectedCrash
from cqrs_lab.breaking.isolation import isolate, locate_failure
from cqrs_lab.breaking.retry import retry_dead_letters
from cqrs_lab.observing.lag import Lag, measure_lag
from cqrs_lab.read_side import rebuild as rebuilding
from cqrs_lab.read_side.columns import naive_utc
from cqrs_lab.read_side.event_filter import events_for
from cqrs_lab.read_side.handler_error import HandlerError, handler_error
from cqrs_lab.read_side.projection import (
    Projection,
    ProjectionError,
    fold_steps,
    no_gc_pauses,
)
from cqrs_lab.time_and_ids.clock import Clock, SystemClock
from cqrs_lab.write_side.event_source import EventSource
from cqrs_lab.write_side.event_store import RecordedEvent

__all__ = ["CATCH_UP_BATCH", "CHECKPOINTS", "BatchCommitted", "Lag", "Progress", "Projector"]

CHECKPOINTS = "projector_checkpoints"

#: Events per transaction in ``catch_up`` when no ``batch_size`` is set: big transactions
#: are the fast path (each costs a few SELECTs and upserts, whatever its size).
CATCH_UP_BATCH = 50_000

#: Rounds of refused deliveries (each already re-read three times) before ``catch_up``
#: gives up and says so.
_STALLED_ROUNDS = 10

#: Progress callback: ``(events_done, events_total)``.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchCommitted:
    """One committed projector transaction (for timelines and progress displays)."""

    projections: tuple[str, ...]
    first_position: int
    last_position: int
    committed_at: datetime


class Projector:
    """Runs projections over an event source, batch by batch, checkpointed in DuckDB.

    Raises:
        ValueError: for a ``batch_size`` below 1 or an unknown ``dead_letter_policy``.
        TypeError: for a ``batch_size`` that is not a whole number.
    """

    def __init__(
        self,
        event_store: EventSource,
        connection: duckdb.DuckDBPyConnection,
        *,
        projections: Iterable[Projection] = (),
        clock: Clock | None = None,
        batch_size: int | None = None,
        dead_letter_policy: DeadLetterPolicy = "raise",
        faults: FaultPlan | None = None,
    ) -> None:
        if batch_size is not None:
            batch_size = _check_count("batch_size", batch_size)
        if dead_letter_policy not in POLICIES:
            raise ValueError(
                f"dead_letter_policy must be one of {POLICIES}, got {dead_letter_policy!r}"
            )
        self.event_store = event_store
        """The event source projected (the lab's event store, or any EventSource)."""
        self.source: EventSource = StoredEvents(event_store)
        """What the projector reads: ``event_store`` with any damage ``tamper_event`` made."""
        self.connection = connection
        """The writable DuckDB connection: projections only. Everyone else uses read_db."""
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        """Events per ``catch_up`` transaction; None (the default): up to
        :data:`CATCH_UP_BATCH`, the fast path. Set it small to watch batches one by one."""
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
        self._lock = threading.RLock()  # one run at a time; the same thread may nest
        self._refused = False  # the last delivery was refused at a gap
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} "
            "(projection VARCHAR PRIMARY KEY, position BIGINT NOT NULL, updated_at TIMESTAMP)"
        )
        for projection in projections:
            self.add(projection)

    # -- projections and checkpoints ------------------------------------------------------

    def add(self, projection: Projection) -> None:
        """Start running ``projection``; it begins at its stored checkpoint (0 if new)."""
        with self._lock:
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
        checkpoints = self._checkpoints  # read on every lag reading: no copy, no head read
        return min(checkpoints.values()) if checkpoints else self.source.head

    @property
    def stopped(self) -> dict[str, int]:
        """Projections halted by a dead letter (policy ``"stop"``): name -> its position."""
        return {name: pos for (name, pos), s in self.dead_letters.open.items() if s == "stopped"}

    def lag(self) -> Lag:
        """Events and seconds the read side is behind the event store, right now."""
        return measure_lag(self.source, self.position, self.clock, len(self.dead_letters.open))

    # -- running --------------------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Apply the next ``n`` events (default one) in one transaction; returns how many.

        Raises:
            TypeError: if ``n`` is not a whole number. ValueError: if it is below 1.
        """
        n = _check_count("n", n)
        with self._lock:
            return self._apply_next(n)

    def catch_up(self, on_progress: Progress | None = None) -> int:
        """Apply everything not yet projected, in transactions of ``batch_size`` events
        (up to :data:`CATCH_UP_BATCH` by default); returns how many were applied.

        A delivery refused at a gap is re-read from the checkpoint.

        Raises:
            DeliveryStalledError: if deliveries keep arriving with gaps, so the projector
                cannot go on without skipping events.
        """
        with self._lock:
            total = self.source.head - self.position
            size = self.batch_size or CATCH_UP_BATCH
            done = stalled = 0
            while True:
                if applied := self._apply_next(size):
                    done, stalled = done + applied, 0
                    if on_progress:
                        on_progress(done, total)
                elif not self._refused:
                    return done
                else:
                    stalled += 1
                    if stalled >= _STALLED_ROUNDS:
                        gaps = [i for i in self.incidents if i.kind == "gap"]
                        raise DeliveryStalledError(self.position, self.source.head, gaps[-1])

    def rebuild(
        self, names: Iterable[str] | None = None, on_progress: Progress | None = None
    ) -> int:
        """Recompute read models (``names``, default all) from position 0, in one
        transaction; returns events read. See :mod:`cqrs_lab.read_side.rebuild`.

        Raises:
            TypeError: if ``names`` is a single string instead of a list of names.
            ValueError: if a name is not a running projection.
        """
        with self._lock:
            return rebuilding.rebuild(self, names, on_progress)

    def retry_dead_letters(self) -> int:
        """Try every open dead letter again (after the fix); returns how many now apply.

        See :mod:`cqrs_lab.breaking.retry`: an interrupted retry leaves every letter that
        was not applied open, to be retried again.
        """
        with self._lock:
            return retry_dead_letters(self)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the projector still: no batch starts or commits until the block ends.

        For readers that must see tables and checkpoints from one moment (the consistency
        check) while other threads may be catching up. The same thread may run the
        projector inside the block.
        """
        with self._lock:
            yield

    # -- the transaction and what runs inside it -------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One DuckDB transaction on the projector's connection, one thread at a time:
        commit on success, roll back on any error or interrupt (Ctrl-C included)."""
        with self._lock:
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

    def apply_events(
        self,
        selected: list[Projection],
        batch: list[RecordedEvent],
        checkpoints: dict[str, int],
        *,
        checkpoint: bool = True,
    ) -> None:
        """Inside :meth:`transaction`: each projection folds the events past its checkpoint,
        then (``checkpoint``) every checkpoint moves to the batch's end.

        Raises:
            ProjectionError: naming the projection and position, for a damaged event, a
                poisoned handler, or anything a projection raises (a
                :class:`~cqrs_lab.read_side.handler_error.HandlerError`, which keeps it).
        """
        # Refuse damaged events, naming the projection that met them. A store validates
        # every event at append, so only positions damaged behind its back need a look.
        tampered = tampered_positions(self.event_store)
        problems = [
            (r, problem) for r in batch if r.position in tampered and (problem := event_problem(r))
        ]
        kinds = {type(r.event) for r in batch}
        work = []
        for projection in selected:
            after = checkpoints[projection.name]
            skipped = self.dead_letters.skipped(projection.name)
            for recorded, problem in problems:
                if recorded.position > after and recorded.position not in skipped:
                    raise ProjectionError(projection.name, recorded, problem)
            if wanted := events_for(projection, batch, kinds, after, skipped):
                work.append((projection, wanted))
        if self.faults:
            # A fault plan may fail a handler before any event: one projection at a time.
            for projection, wanted in work:
                try:
                    for recorded in wanted:
                        self.faults.before_handle(projection.name, recorded)
                    projection.apply_batch(self.connection, wanted)
                except ProjectionError:
                    raise
                except Exception as error:
                    raise handler_error(projection, wanted, error) from error
        else:
            fold_steps(work, self.connection, handler_error)
        if checkpoint:
            self.set_checkpoints(selected, batch[-1].position)

    def set_checkpoints(
        self, selected: list[Projection], position: int, *, backwards: bool = False
    ) -> None:
        """Inside :meth:`transaction`: move ``selected``'s checkpoints to ``position``.

        A checkpoint never moves backwards (a projection ahead of the batch keeps its
        place) unless ``backwards`` says so, as a rebuild from zero does.
        """
        new = "?" if backwards else "greatest(position, ?)"
        self.connection.execute(
            f"UPDATE {CHECKPOINTS} SET position = {new}, updated_at = ? "
            "WHERE list_contains(?, projection)",
            [position, naive_utc(self.clock.now()), [p.name for p in selected]],
        )

    def notify(self, selected: list[Projection], first: int, last: int) -> None:
        """Tell every observer that positions ``first..last`` are committed for ``selected``."""
        done = BatchCommitted(tuple(p.name for p in selected), first, last, self.clock.now())
        for observer in list(self.observers):
            observer(done)

    # -- internals ------------------------------------------------------------------------

    def _apply_next(self, limit: int) -> int:
        # The collector is paused for the whole batch: the read, the fold, the commit and
        # telling observers (who may run the projector again: still paused, still right).
        # A store that decodes what it reads (PostgreSQL, SQLite) hands over tens of
        # thousands of new objects, and with the read outside the pause a collection walked
        # all of them between the read and the fold. They form no cycles; reference
        # counting frees them with the batch, whose frame ends before the collector comes
        # back (after an error, the traceback may keep it a while: harmless).
        with no_gc_pauses():
            return self._read_and_apply(limit)

    def _read_and_apply(self, limit: int) -> int:
        stopped = self.stopped
        selected = [p for p in self.projections.values() if p.name not in stopped]
        start = min((self._checkpoints[p.name] for p in selected), default=self.source.head)
        batch = self._deliver(start, limit)
        if not batch:
            return 0
        try:
            with self.transaction():
                self.apply_events(selected, batch, self._checkpoints)
                if self.faults:
                    self.faults.before_commit(batch)
        except InjectedCrash as crash:
            self.incidents.append(DeliveryIncident("crash", crash.position, str(crash)))
            raise
        except Exception as error:
            if self.dead_letter_policy != "raise":
                return isolate(self, batch, error)
            if isinstance(error, HandlerError) and len(error.events) > 1:
                raise locate_failure(self, error) from error.error
            raise
        self.notify(selected, batch[0].position, batch[-1].position)
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
        three refusals the projector waits (returns nothing, ``_refused`` set) rather than
        skip ahead.
        """
        source = self.faults.transport(self.source) if self.faults else self.source
        self._refused = False
        for _ in range(3):
            delivered = list(source.read_all(after=start, limit=limit))
            batch, incidents = in_order(delivered, start)
            self.incidents.extend(incidents)
            if batch or not delivered:
                return batch
        self._refused = True
        return []


def _check_count(name: str, value: object) -> int:
    """``value`` if it is a whole number >= 1; no floats, strings or booleans."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number of events, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # NumPy integers pass
    except TypeError:
        raise TypeError(f"{name} must be a whole number of events, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be >= 1, got {number}")
    return number
