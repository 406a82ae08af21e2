"""Aggregates kept in memory between commands, caught up from their stream on each load.

A busy aggregate (a product's stock, reserved by every order) has a long stream; replaying
it on every command makes each command slower than the last. :class:`KeptAggregates`
keeps the copy it last saved and, on the next load, applies only the events appended
since (``read_stream(after_version=...)``): the store stays the only truth, the kept copy
is a shortcut to it. A copy is handed to one caller at a time; a save that fails (a
concurrent writer won) drops it.

A dropped copy, and every aggregate after a restart, is loaded from its newest
**snapshot** (notebook 13) plus the events after it, never by a full replay of a long
stream: a snapshot is taken whenever an aggregate is ``every`` events past its last one
(and, for a long stream, a quarter of its length past it: see ``_snapshot_if_due``).
The snapshots live in memory by default (:class:`~cqrs_lab.write_side.snapshots.Snapshots`);
a lab kept in a folder keeps them in a file
(:class:`~cqrs_lab.write_side.snapshot_file.SQLiteSnapshots`, one every 1,000 events), so
reopening a lab whose best-seller has 100,000 stock events replays fewer than 1,000.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_store import InMemoryEventStore, RecordedEvent
from cqrs_lab.write_side.repository import EventSourcedRepository
from cqrs_lab.write_side.snapshots import Snapshots, restore, snapshot_of

A = TypeVar("A", bound=Aggregate)


class KeptAggregates(Generic[A]):
    """Load and save one aggregate type, keeping each saved aggregate for its next load.

    Saves carry no command id: use it for an aggregate a handler changes on the side of
    the one its command is about (the order's stock, not the order), or through
    :class:`KeptRepository`, which records the command id as the repository does.
    """

    def __init__(
        self,
        event_store: InMemoryEventStore,
        aggregate_type: type[A],
        *,
        snapshots: Snapshots | None = None,
        every: int | None = None,
    ) -> None:
        self.snapshots = snapshots if snapshots is not None else Snapshots()
        """Where snapshots are kept (in memory unless given a file)."""
        every = self.snapshots.every if every is None else every
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.event_store = event_store
        self.aggregate_type = aggregate_type
        self.every = every
        """Take a snapshot whenever an aggregate is this many events past its last one
        (by default what suits the snapshot store: 100 in memory, 1,000 in a file)."""
        self.replayed = 0
        """Events applied by the last :meth:`get` (what a test of load cost reads)."""
        self.unsnapshotted: dict[UUID, str] = {}
        """Aggregates whose state the snapshot store could not hold, and why."""
        # Both keyed by the id's integer: hashed in C, where UUID.__hash__ is Python.
        self._kept: dict[int, A] = {}
        self._snapshotted: dict[int, int] = {}
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> A:
        """The aggregate as its stream says now. Raises :class:`AggregateNotFoundError`."""
        with self._lock:
            aggregate = self._kept.pop(aggregate_id.int, None)  # one caller holds a copy
        if aggregate is None:
            aggregate, newer = restore(
                self.aggregate_type, aggregate_id, self.snapshots, self.event_store
            )
            with self._lock:
                self._snapshotted.setdefault(aggregate_id.int, aggregate.version)
        else:
            newer = self.event_store.read_stream(aggregate_id, after_version=aggregate.version)
        self.replayed = len(newer)
        if newer:  # unchanged since it was kept: its snapshot was considered then
            aggregate.replay(r.event for r in newer)
            self._snapshot_if_due(aggregate, newer[-1])
        return aggregate

    def save(self, aggregate: A) -> None:
        """Append the pending events, expecting the version loaded; keep the aggregate.

        Raises:
            ConcurrencyError: if the stream moved on; nothing is stored or kept.
        """
        expected = aggregate.saved_version
        self.event_store.append(aggregate.id, aggregate.pending_events, expected_version=expected)
        self.keep(aggregate)

    def keep(self, aggregate: A) -> None:
        """Keep ``aggregate`` (unchanged, or just saved) for the next load."""
        key = aggregate.id.int
        with self._lock:
            if not self._due(aggregate):  # the usual case: one lock, kept at once
                self._kept[key] = aggregate
                return
        self._snapshot_if_due(aggregate)
        with self._lock:
            self._kept[key] = aggregate

    def _due(self, aggregate: A) -> bool:
        """Whether :meth:`_snapshot_if_due` would take a snapshot now (under the lock)."""
        last_snapshot = self._snapshotted.get(aggregate.id.int, 0)
        return not aggregate.has_pending_events and aggregate.version - last_snapshot >= max(
            self.every, last_snapshot // 4
        )

    def _snapshot_if_due(self, aggregate: A, last: RecordedEvent | None = None) -> None:
        """Snapshot ``aggregate`` if it is ``every`` events past its last snapshot, and a
        quarter of its version past it once that is more.

        A snapshot copies the whole state, and a busy stock's state grows with every order
        (one reservation each): a snapshot every 100 events would copy it ``n / 100`` times,
        a cost that grows with the square of the orders (measured: 599 s of CPU against 48 s
        for a million-event lab). Spacing snapshots by a quarter of the version keeps the
        total copying proportional to the stream, and a load replays at most a fifth of it.
        """
        with self._lock:
            if not self._due(aggregate):
                return
            self._snapshotted[aggregate.id.int] = aggregate.version
        if last is None:  # its last event proves which history the snapshot is of
            stored = self.event_store.read_stream(aggregate.id, after_version=aggregate.version - 1)
            last = stored[0]
        try:
            self.snapshots.keep(snapshot_of(aggregate, last))
        except TypeError as unfit:
            # The command's events are stored already: failing it now would invite a retry.
            # Loads replay from the store as before; the reason stays visible here.
            self.unsnapshotted[aggregate.id] = str(unfit)


class KeptRepository(EventSourcedRepository[A]):
    """The repository a command handler uses, loading through :class:`KeptAggregates`.

    ``save`` is the repository's (it records the command's id, so a resend is refused by
    the store); what it saved is kept for the next load. Used by the saga's stock handlers
    (``build_lab(saga=True)``), where every ``ReserveStock`` loads a product's stock.
    """

    def __init__(self, kept: KeptAggregates[A]) -> None:
        super().__init__(kept.event_store, kept.aggregate_type)
        self.kept = kept
        """The kept aggregates (and snapshots) loads go through."""

    async def get(self, aggregate_id: UUID) -> A:
        """The aggregate, kept or from its snapshot. Raises AggregateNotFoundError."""
        return self.kept.get(aggregate_id)

    async def save(self, aggregate: A) -> list[DomainEvent]:
        """Save as the repository does, then keep the aggregate for the next load."""
        events = await super().save(aggregate)
        self.kept.keep(aggregate)
        return events
