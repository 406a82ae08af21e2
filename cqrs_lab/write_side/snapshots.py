"""Snapshots: an aggregate's state saved at a version, so a load replays only what followed.

A stream of 10,000 events is 10,000 ``_apply`` calls on every load. A snapshot keeps the
state after version N; loading restores it and replays the events after N. The events stay
the truth: a snapshot can be thrown away at any time and rebuilt from them.

**Why a snapshot carries a version of its own.** It stores the aggregate's *state*, whose
shape is code: rename a field, or fold an event differently, and an old snapshot describes
state the new code would never have computed. Each snapshot records the aggregate class's
``state_version``; a snapshot of another state version is ignored and the stream replayed
from its first event (then snapshotted anew). Events are upcast; snapshots are discarded.

**Why it also records its last event.** A snapshot says "the state after *this* event":
its global position and a digest of its content. Restoring reads the stream from that
version on; if the event stored there is another one (the events file was reset, replaced
or rolled back, and a new history reached the same version), the snapshot is of other
events and is discarded too.

Where they are used: :class:`SnapshottingRepository` here (notebook 13's chart), and the
lab's stock through :class:`~cqrs_lab.write_side.kept_aggregates.KeptAggregates`, which
keeps them in memory (:class:`Snapshots`) or, for a lab kept in a folder, in a file
(:class:`~cqrs_lab.write_side.snapshot_file.SQLiteSnapshots`), so reopening a lab does
not replay a best-seller's stream.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_store import InMemoryEventStore, RecordedEvent
from cqrs_lab.write_side.repository import AggregateNotFoundError

A = TypeVar("A", bound=Aggregate)

__all__ = [
    "Snapshot",
    "Snapshots",
    "SnapshottingRepository",
    "copied",
    "restore",
    "snapshot_of",
]


@dataclass(frozen=True)
class Snapshot:
    """An aggregate's state after ``version``, in the shape of ``state_version``."""

    aggregate_id: UUID
    version: int
    state_version: int
    state: dict[str, Any]
    last_event: str = ""
    """Which event it was taken after (:func:`fingerprint`; empty: not checked)."""


class Snapshots:
    """Snapshots kept in memory, newest per aggregate (lost on restart: a lab kept in a
    folder uses :class:`~cqrs_lab.write_side.snapshot_file.SQLiteSnapshots`)."""

    every = 100
    """Events between two snapshots that suit this store (a snapshot costs a copy of the
    state, a load after it one event per event since)."""

    def __init__(self) -> None:
        self._latest: dict[UUID, Snapshot] = {}

    def latest(self, aggregate_id: UUID) -> Snapshot | None:
        """The newest snapshot of ``aggregate_id``, or None."""
        return self._latest.get(aggregate_id)

    def keep(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` as the aggregate's newest."""
        self._latest[snapshot.aggregate_id] = snapshot

    def __len__(self) -> int:
        return len(self._latest)


_CONTAINERS = frozenset({dict, list, set})
"""What :func:`copied` copies; everything else it shares."""


def copied(value: Any) -> Any:
    """``value`` with its dicts, lists and sets copied, all the way down.

    Everything else in an aggregate's state is taken to be immutable (numbers, strings,
    UUIDs, frozen models), so it is shared, not copied: ``copy.deepcopy`` of a best-seller's
    100,000 reservations took seconds, this a few milliseconds.
    """
    if type(value) is dict:
        if _CONTAINERS.isdisjoint(map(type, value.values())):
            # Flat (a stock's reservations): one C-level copy that reuses each key's
            # stored hash, where rebuilding the dict would hash every UUID key again.
            return value.copy()
        return {k: copied(v) for k, v in value.items()}
    if type(value) is list:
        return [copied(v) for v in value]
    if type(value) is set:
        return set(value)
    return value


def fingerprint(recorded: RecordedEvent) -> str:
    """The stored event's position and a digest of its content: which event this is."""
    digest = hashlib.sha256(recorded.event.model_dump_json().encode()).hexdigest()[:16]
    return f"{recorded.position}:{digest}"


def snapshot_of(aggregate: Aggregate, last_event: RecordedEvent | None = None) -> Snapshot:
    """``aggregate``'s state now, as a snapshot (taken after ``last_event``, if given).

    Raises:
        ValueError: if the aggregate has unsaved events (save first).
    """
    if aggregate.has_pending_events:
        raise ValueError(f"{type(aggregate).__name__} {aggregate.id} has unsaved events")
    state = {k: copied(v) for k, v in vars(aggregate).items() if k != "_pending_events"}
    return Snapshot(
        aggregate.id,
        aggregate.version,
        getattr(type(aggregate), "state_version", 1),
        state,
        "" if last_event is None else fingerprint(last_event),
    )


def restore(
    aggregate_type: type[A], aggregate_id: UUID, snapshots: Snapshots, event_store: Any
) -> tuple[A, list[RecordedEvent]]:
    """The aggregate from its newest snapshot that still fits, and the events to replay.

    A snapshot of another ``state_version``, or whose last event is not the stored one at
    its version (another log), is ignored: the aggregate starts empty and its whole stream
    is returned. Nothing is replayed here.

    Raises:
        AggregateNotFoundError: if the stream is empty.
    """
    snapshot = snapshots.latest(aggregate_id)
    state_version = getattr(aggregate_type, "state_version", 1)
    if snapshot is not None and snapshot.state_version == state_version:
        # Read the snapshot's own last event too: it proves the snapshot is of this log.
        newer = event_store.read_stream(aggregate_id, after_version=snapshot.version - 1)
        if newer and snapshot.last_event in ("", fingerprint(newer[0])):
            aggregate = aggregate_type.__new__(aggregate_type)
            aggregate.__dict__.update(copied(snapshot.state))
            aggregate._pending_events = []
            return aggregate, newer[1:]
    history = event_store.read_stream(aggregate_id)
    if not history:
        raise AggregateNotFoundError(aggregate_type, aggregate_id)
    return aggregate_type.from_history(aggregate_id, []), history


class SnapshottingRepository(Generic[A]):
    """Loads aggregates from their newest usable snapshot plus the events after it.

    ``every``: take a snapshot whenever a load replayed at least that many events.
    ``replayed`` counts the events the last load applied (what a chart compares).
    """

    def __init__(
        self,
        event_store: InMemoryEventStore,
        aggregate_type: type[A],
        *,
        every: int = 100,
        snapshots: Snapshots | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.event_store = event_store
        self.aggregate_type = aggregate_type
        self.every = every
        self.snapshots = snapshots if snapshots is not None else Snapshots()
        """Where the snapshots are kept."""
        self.replayed = 0
        """Events applied by the last :meth:`get`."""

    def get(self, aggregate_id: UUID) -> A:
        """The aggregate as its stream says now. Raises :class:`AggregateNotFoundError`."""
        aggregate, newer = restore(
            self.aggregate_type, aggregate_id, self.snapshots, self.event_store
        )
        aggregate.replay(r.event for r in newer)
        self.replayed = len(newer)
        if self.replayed >= self.every:
            self.snapshots.keep(snapshot_of(aggregate, newer[-1]))
        return aggregate

    def take_snapshot(self, aggregate: A) -> Snapshot:
        """Keep ``aggregate``'s state now (its unsaved events excluded: save first)."""
        snapshot = snapshot_of(aggregate)
        self.snapshots.keep(snapshot)
        return snapshot
