"""The event store: the write side's only source of truth, an append-only log.

Every event gets a global, gap-free ``position`` (1, 2, 3, ...) across all streams, which is
what projectors use as their checkpoint, and a per-stream ``version`` that optimistic
concurrency checks against. An append may carry the ``command_id`` that caused it: the
store refuses a second append with that id (:class:`DuplicateCommandError`), so a command
resent while the first send is still running, from another thread or another bus, is never
stored twice. The checks and the append are one atomic step (a lock here; a transaction
and a unique key in a database).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

from pydantic import BaseModel

from cqrs_lab.messaging.messages import DomainEvent, nested_model_fields, share_fields_set
from cqrs_lab.time_and_ids.clock import Clock, SystemClock


class ConcurrencyError(Exception):
    """A stream moved on since the writer read it (optimistic concurrency).

    Attributes:
        stream_id: the stream written to.
        expected_version: the version the writer believed the stream had.
        actual_version: the version it really had.
    """

    def __init__(self, stream_id: UUID, expected_version: int, actual_version: int) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"stream {stream_id}: expected version {expected_version}, "
            f"but it is at version {actual_version}"
        )


class DuplicateCommandError(Exception):
    """An append carried a ``command_id`` the store already holds: the command was stored.

    Attributes:
        command_id: the repeated id.
        recorded: what the first append with that id stored (the command's result).
    """

    def __init__(self, command_id: UUID, recorded: list[RecordedEvent]) -> None:
        self.command_id = command_id
        self.recorded = recorded
        positions = f"{recorded[0].position}-{recorded[-1].position}" if recorded else "none"
        super().__init__(
            f"command {command_id} was already stored (positions {positions}); "
            "a resend appends nothing"
        )


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the store keeps it: the domain event plus where and when it landed."""

    position: int
    """Global position in the store: gap-free, starting at 1."""
    stream_id: UUID
    """The aggregate stream the event belongs to."""
    recorded_at: datetime
    """When the store accepted it (on the store's clock)."""
    event: DomainEvent
    """The domain event itself."""

    @property
    def version(self) -> int:
        """The event's version within its stream."""
        return self.event.version

    @property
    def type(self) -> str:
        """The event's type name, e.g. ``"OrderCreated"``."""
        return type(self.event).__name__


#: The slot setters of RecordedEvent's fields, in field order. A frozen dataclass's
#: ``__init__`` sets each field through ``object.__setattr__``; ``append`` builds its
#: records with these instead, about a third faster (same object, same fields).
_SET_POSITION, _SET_STREAM_ID, _SET_RECORDED_AT, _SET_EVENT = (
    getattr(RecordedEvent, name).__set__ for name in RecordedEvent.__slots__
)


def _untracker() -> Callable[[object], None]:
    """CPython's ``PyObject_GC_UnTrack``, or a no-op anywhere it cannot be had (another
    Python, a build without ctypes): untracking only saves the collector work."""
    try:
        if sys.implementation.name != "cpython":
            raise AttributeError(sys.implementation.name)
        import ctypes

        untrack = ctypes.pythonapi.PyObject_GC_UnTrack
        untrack.argtypes = [ctypes.py_object]
        untrack.restype = None
    except (ImportError, AttributeError, OSError):  # pragma: no cover - not CPython
        return lambda obj: None
    return untrack


_untrack = _untracker()

#: Field values that hold no reference back to anything: an event made of them (and of
#: frozen models made of them) can never be part of a reference cycle.
_ACYCLIC = frozenset({str, int, float, bool, type(None), UUID, datetime, date, Decimal})


_CLOSED_TYPES: dict[type, bool] = {}


def _is_closed(kind: type[BaseModel]) -> bool:
    """Whether no instance of model type ``kind`` can ever be given a new reference after it
    is built: frozen, no private attributes, no extra fields (decided once per type).

    A learner's event class that is not frozen, or keeps a private cache, could later be
    handed a list holding itself: such events stay on the collector's list.
    """
    closed = _CLOSED_TYPES.get(kind)
    if closed is None:
        config = kind.model_config
        closed = _CLOSED_TYPES[kind] = bool(
            config.get("frozen")
            and config.get("extra") != "allow"
            and not getattr(kind, "__private_attributes__", None)
        )
    return closed


def _untrack_if_acyclic(model: BaseModel) -> bool:
    """Take a stored event (and its frozen sub-models) off the cyclic collector's list, if
    nothing in it can lead back to it; returns whether it did.

    Why: the collector walks every object it tracks on each full collection, and a lab
    holding a million events made those collections a fifth of the write path's time
    (every one of them walked every stored event). The store keeps events for good and
    they are immutable, so there is nothing for the collector to find in them: reference
    counting still frees them when the store goes. An event that could be part of a cycle
    (a list, a model that is not frozen, private attributes or extras: anything but plain
    values and closed models of plain values, see :func:`_is_closed`) stays tracked, so no
    cycle is ever left uncollected.
    """
    if not _is_closed(type(model)) or model.__pydantic_private__ or model.__pydantic_extra__:
        return False
    fields = model.__dict__
    for value in fields.values():
        if type(value) in _ACYCLIC or isinstance(value, Enum):
            continue
        if not isinstance(value, BaseModel) or not _untrack_if_acyclic(value):
            return False
    _untrack(fields)
    _untrack(model)
    return True


_SET_FIELDS_SET = BaseModel.__pydantic_fields_set__.__set__  # type: ignore[attr-defined]


def _compact(event: DomainEvent, fields_sets: dict[type, list[set[str]]]) -> bool:
    """Put an event in the form the store keeps: its field-name sets shared with equal
    ones stored before (:func:`share_fields_set`), and off the collector's list if it
    cannot be in a cycle (:func:`_untrack_if_acyclic`); returns whether it is off it.

    Every stored event passes here, so an event without sub-models (all but an order's
    first) takes a short way to the same result: its type's usual field-name set, and one
    look at the types of its values.
    """
    kind = type(event)
    if not _is_closed(kind):
        # Setting a field of an event that is not frozen adds to its field-name set: a set
        # shared with other events would change theirs too. It is kept as it came.
        return False
    if nested_model_fields(kind):
        share_fields_set(event, fields_sets)
        return _untrack_if_acyclic(event)
    fields_set = event.__pydantic_fields_set__
    known = fields_sets.get(kind)
    if known is None or known[0] is not fields_set:
        if known is not None and known[0] == fields_set:
            _SET_FIELDS_SET(event, known[0])
        else:
            share_fields_set(event, fields_sets)
    fields = event.__dict__
    if (
        not event.__pydantic_private__
        and not event.__pydantic_extra__
        and _ACYCLIC.issuperset(map(type, fields.values()))
    ):
        _untrack(fields)
        _untrack(event)
        return True
    return _untrack_if_acyclic(event)  # the long way: enums, frozen models held in `Any`


def _stream_key(stream_id: object) -> object:
    """The key a stream is filed under: a UUID's integer (hashed in C; ``UUID.__hash__``
    is Python, and every append and load looks a stream up), anything else as itself
    with its type (so no integer can pass for a UUID). A UUID subclass (a ``uuid7`` from
    another package, say) files under the same key as the plain UUID it equals."""
    return stream_id.int if isinstance(stream_id, UUID) else (type(stream_id), stream_id)


StoreSubscriber = Callable[[list[RecordedEvent]], None]


class InMemoryEventStore:
    """An append-only event log held in a Python list; safe to append to from many threads.

    Raises:
        ConcurrencyError: from :meth:`append` when ``expected_version`` is stale.
        DuplicateCommandError: from :meth:`append` when ``command_id`` was stored before.
        ValueError: from :meth:`append` when events do not continue the stream.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._log: list[RecordedEvent] = []
        self._streams: dict[object, list[RecordedEvent]] = {}
        """Each stream's records, by :func:`_stream_key` of its id, in order of first append."""
        self._subscribers: list[StoreSubscriber] = []
        self._fields_sets: dict[type, list[set[str]]] = {}
        self._commands: dict[int, int] = {}
        """``command_id.int`` -> ``first_position << 32 | count`` of the append it caused:
        two small ints per command, not a tuple of records, since every command stays here."""
        self._lock = threading.RLock()
        """Held from the checks to the subscribers' return: appends happen one at a time,
        and subscribers hear them in position order. Re-entrant, so a subscriber may append."""

    @property
    def head(self) -> int:
        """Position of the newest event (0 when empty)."""
        return len(self._log)

    def __len__(self) -> int:
        return len(self._log)

    def stream_version(self, stream_id: UUID) -> int:
        """Current version of a stream (0 if it does not exist)."""
        stream = self._streams.get(_stream_key(stream_id))
        return stream[-1].version if stream else 0

    def append(
        self,
        stream_id: UUID,
        events: Sequence[DomainEvent],
        *,
        expected_version: int,
        command_id: UUID | None = None,
    ) -> list[RecordedEvent]:
        """Append ``events`` to a stream, all or nothing, and tell subscribers.

        ``expected_version`` is the stream version the writer loaded (0 for a new stream).
        ``command_id``, if given, is recorded with the events in the same step; a later
        append with the same id raises :class:`DuplicateCommandError` (checked before the
        version: a resend is "already done", not a conflict).
        """
        with self._lock:
            return self._append(stream_id, events, expected_version, command_id)

    def _append(
        self,
        stream_id: UUID,
        events: Sequence[DomainEvent],
        expected_version: int,
        command_id: UUID | None,
    ) -> list[RecordedEvent]:
        if command_id is not None and command_id.int in self._commands:
            raise DuplicateCommandError(command_id, self.recorded_for(command_id))
        key = _stream_key(stream_id)
        stream = self._streams.get(key)
        actual = stream[-1].event.version if stream else 0  # stream_version, inlined
        if actual != expected_version:
            raise ConcurrencyError(stream_id, expected_version, actual)
        now = self.clock.now()
        position = len(self._log)
        version = expected_version
        new_record = object.__new__
        fields_sets = self._fields_sets
        recorded = []
        # One pass checks every event and builds its record; nothing is stored until the
        # whole batch passed, so a bad event leaves no trace.
        for event in events:
            version += 1
            position += 1
            if event.version != version:
                raise ValueError(
                    f"{type(event).__name__} has version {event.version}; stream {stream_id} "
                    f"expects {version}"
                )
            aggregate_id = event.aggregate_id
            if aggregate_id is not stream_id and aggregate_id != stream_id:
                raise ValueError(
                    f"{type(event).__name__} belongs to {event.aggregate_id}, not stream {stream_id}"
                )
            record = new_record(RecordedEvent)
            _SET_POSITION(record, position)
            _SET_STREAM_ID(record, stream_id)
            _SET_RECORDED_AT(record, now)
            _SET_EVENT(record, event)
            recorded.append(record)
        for record in recorded:  # every check passed: now the batch is kept
            if _compact(record.event, fields_sets):
                # An int, a UUID, a datetime and an event that cannot lead back: no cycle.
                _untrack(record)
        if command_id is not None and recorded:
            self._commands[command_id.int] = recorded[0].position << 32 | len(recorded)
        self._log.extend(recorded)
        if stream is None:
            if recorded:
                self._streams[key] = recorded.copy()  # the caller may change `recorded`
        else:
            stream.extend(recorded)
        if self._subscribers:
            for subscriber in list(self._subscribers):
                subscriber(recorded)
        return recorded

    def recorded_for(self, command_id: UUID) -> list[RecordedEvent]:
        """What the append carrying ``command_id`` stored ([] if no append carried it)."""
        packed = self._commands.get(command_id.int)
        if packed is None:
            return []
        first, count = packed >> 32, packed & 0xFFFF_FFFF
        return self._log[first - 1 : first - 1 + count]

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Events with position > ``after``, oldest first, at most ``limit`` of them."""
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after}")
        end = None if limit is None else after + limit
        return self._log[after:end]

    def read_stream(self, stream_id: UUID, *, after_version: int = 0) -> list[RecordedEvent]:
        """One stream's events with version > ``after_version``, in order ([] if unknown)."""
        return self._streams.get(_stream_key(stream_id), [])[after_version:]

    def stream_ids(self) -> list[UUID]:
        """Every stream id, in order of first append."""
        return [stream[0].stream_id for stream in self._streams.values()]

    def subscribe(self, subscriber: StoreSubscriber) -> Callable[[], None]:
        """Call ``subscriber(recorded_events)`` after every append; returns an unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def __iter__(self) -> Iterable[RecordedEvent]:
        return iter(list(self._log))
