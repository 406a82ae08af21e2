"""How a durable store writes an event down and reads it back: a topic and JSON.

A database holds text, not Python objects. Each event is stored as its *topic*, the
importable name of its class (``"cqrs_lab.orders.events:OrderCreated"``, as the
``eventsourcing`` library names it), its fields as JSON and the *schema version* of that
shape. Reading it back imports the class from the topic and lets pydantic validate the JSON,
so an event comes back equal to the one appended: same UUIDs, same timezone-aware datetimes,
same nested value objects. A row that no longer validates (changed in the database by hand,
by a migration, by damage) raises :class:`StoredEventError` naming its position.

**Every row is validated, and that is cheap.** Events of one type are validated together as
one JSON list, one pydantic call per type and batch. Measured on a catch-up's batches, the
domain's validators cost nothing noticeable: a hand-built path that skipped them for rows
the store wrote itself (checked by a CRC-32 beside each row) decoded no faster (3.4 us an
event either way). What made reads slow was Python's cyclic garbage collector walking the
heap again and again while a batch was built; the stores pause it around a read.

**Schema versions.** A codec given :class:`~cqrs_lab.write_side.upcasting.Upcasters` stamps
each event with its type's current version and upcasts older rows on read (the upcast
fields are then validated like any other). A codec given none stamps :data:`UNVERSIONED` (0)
and reads every row as today's shape; a row stamped 0 is always read as today's shape.

A process that never imported the event's module (a projector of its own) still finds the
class through the topic; a class defined inside a function cannot be imported, so the codec
also remembers every class it encoded in this process.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from pydantic import TypeAdapter, ValidationError

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.event_store import RecordedEvent
from cqrs_lab.write_side.upcasting import MissingUpcasterError, Upcasters

UNVERSIONED = 0
"""The schema version of a row written without upcasters: read as today's shape."""


class UnknownEventTypeError(LookupError):
    """A stored event names a class this process cannot find.

    Attributes:
        topic: the stored ``"module:QualifiedName"``.
    """

    def __init__(self, topic: str, reason: str) -> None:
        self.topic = topic
        super().__init__(f"cannot load stored event type {topic!r}: {reason}")


def topic_of(event_type: type) -> str:
    """The importable name of an event class: ``"module:QualifiedName"``."""
    return f"{event_type.__module__}:{event_type.__qualname__}"


class StoredEventError(ValueError):
    """A stored event no longer fits its class (a changed or tampered event, say).

    Attributes:
        position: where the event is stored.
        topic: its stored type.
    """

    def __init__(self, position: int, topic: str, error: ValidationError) -> None:
        self.position = position
        self.topic = topic
        super().__init__(f"stored event at position {position} ({topic}) does not load: {error}")


class EncodedEvent(NamedTuple):
    """One event as a store writes it down."""

    type: str
    """The class name (``OrderCreated``): what upcasters and people reading the table use."""
    topic: str
    schema_version: int
    data: str


class _Kind(NamedTuple):
    """What the codec knows about one stored topic."""

    cls: type[DomainEvent]
    name: str
    current: int | None  # today's schema version; None: no upcasters, every row is today's


class EventCodec:
    """Turns events into rows and back; one per store.

    Args:
        upcasters: today's schema versions and the upcasters that read older rows; None
            stamps :data:`UNVERSIONED` and reads every row as today's shape.
    """

    def __init__(self, upcasters: Upcasters | None = None) -> None:
        self._types: dict[str, type[DomainEvent]] = {}
        self._topics: dict[type, str] = {}
        self._list_adapters: dict[str, TypeAdapter] = {}
        self._kinds: dict[str, _Kind] = {}
        self.upcasters = upcasters

    @property
    def upcasters(self) -> Upcasters | None:
        """The upcasters rows are read with (set it to read with others)."""
        return self._upcasters

    @upcasters.setter
    def upcasters(self, upcasters: Upcasters | None) -> None:
        self._upcasters = upcasters
        self._kinds.clear()  # today's versions may have changed

    def encode(self, event: DomainEvent) -> tuple[str, str]:
        """``(topic, json)`` for ``event``; remembers its class for :meth:`decode`."""
        kind = type(event)
        topic = self._topics.get(kind)
        if topic is None:
            topic = self._topics[kind] = topic_of(kind)
            self._types[topic] = kind
        return topic, event.model_dump_json()

    def encode_row(self, event: DomainEvent) -> EncodedEvent:
        """Everything a store writes for ``event``: type name, topic, schema version, JSON."""
        topic, data = self.encode(event)
        name = type(event).__name__
        version = UNVERSIONED if self._upcasters is None else self._upcasters.version_of(name)
        return EncodedEvent(name, topic, version, data)

    def decode(self, topic: str, data: str | bytes) -> DomainEvent:
        """The event ``encode`` gave ``(topic, data)`` for (validated in full).

        Raises:
            UnknownEventTypeError: if the topic names no importable event class.
        """
        kind = self._types.get(topic) or self._load(topic)
        return kind.model_validate_json(data)

    def decode_all(self, rows: Sequence[tuple]) -> list[DomainEvent]:
        """The events of stored rows, in order.

        Each row is ``(position, stream_id, recorded_at, topic, schema_version, data)``, as
        both durable stores select them (the codec reads all but the second and third).
        Events of one type in today's shape are validated together, as one JSON list: one
        pydantic call per type instead of one per event; rows in an older shape are upcast
        one by one.

        Raises:
            UnknownEventTypeError: if a topic names no importable event class.
            StoredEventError: naming the position of an event that does not validate.
            MissingUpcasterError, FactNeverRecordedError: from an upcaster.
        """
        # Rows grouped by (topic, schema version), with their texts gathered on the way:
        # one pass, no second walk over the rows to pick the texts out.
        groups: dict[tuple[str, int], tuple[list[int], list[str | bytes]]] = {}
        for index, (_, _, _, topic, version, data) in enumerate(rows):
            try:
                indexes, texts = groups[topic, version]
            except KeyError:
                indexes, texts = groups[topic, version] = ([], [])
            indexes.append(index)
            texts.append(data)
        kinds = {topic: self._kinds.get(topic) or self._kind(topic) for topic, _ in groups}
        today, older = [], []
        for (topic, version), group in groups.items():
            current = kinds[topic].current
            if version == UNVERSIONED or current is None or version == current:
                today.append((topic, group))
            else:
                older.append(group)
        events: list[DomainEvent] = [None] * len(rows)  # type: ignore[list-item]
        for topic, (indexes, texts) in today:
            for index, event in zip(indexes, self._validated(topic, rows, indexes, texts)):
                events[index] = event
        for index in sorted(index for indexes, _ in older for index in indexes):
            events[index] = self._upcast(rows[index])
        return events

    def _validated(
        self, topic: str, rows: Sequence, indexes: list[int], texts: list[str | bytes]
    ) -> list[DomainEvent]:
        adapter = self._list_adapters.get(topic)
        if adapter is None:
            adapter = self._list_adapters[topic] = TypeAdapter(list[self._kind(topic).cls])
        try:
            joined = ",".join(texts)  # type: ignore[arg-type]
        except TypeError:  # bytes from a driver that returns them
            joined = ",".join([_text(text) for text in texts])
        try:
            events = adapter.validate_json("[" + joined + "]")
        except ValidationError:
            events = None
        if events is None or len(events) != len(indexes):
            # A row that fails, or one whose text holds two events (`{..},{..}`: it would
            # shift every later event of the group one position on): one at a time, so the
            # error names the position.
            return [self._decode_one(rows[index][0], topic, rows[index][5]) for index in indexes]
        return events

    def _upcast(self, row: tuple) -> DomainEvent:
        position, _, _, topic, version, data = row
        kind = self._kinds.get(topic) or self._kind(topic)
        fields = self._upcasters.upcast(kind.name, version, json.loads(data))
        try:
            return kind.cls.model_validate(fields)
        except ValidationError as error:
            raise StoredEventError(position, topic, error) from None

    def _kind(self, topic: str) -> _Kind:
        cls = self._types.get(topic) or self._load(topic)
        name = cls.__name__
        current = None if self._upcasters is None else self._upcasters.version_of(name)
        kind = self._kinds[topic] = _Kind(cls, name, current)
        return kind

    def _decode_one(self, position: int, topic: str, data: str | bytes) -> DomainEvent:
        try:
            return self.decode(topic, data)
        except ValidationError as error:
            raise StoredEventError(position, topic, error) from None

    def _load(self, topic: str) -> type[DomainEvent]:
        module_name, _, qualname = topic.partition(":")
        try:
            found: object = importlib.import_module(module_name)
            for part in qualname.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError, ValueError) as error:
            raise UnknownEventTypeError(topic, str(error) or type(error).__name__) from None
        if not (isinstance(found, type) and issubclass(found, DomainEvent)):
            raise UnknownEventTypeError(topic, "it is not a DomainEvent class")
        self._types[topic] = found
        self._topics.setdefault(found, topic)
        return found


#: RecordedEvent's slot setters, in field order. Its frozen dataclass ``__init__`` sets each
#: field through ``object.__setattr__`` and cost a read 1.6 us an event, more than a third
#: of the decoding; setting the slots directly builds the same object in 0.6 us.
_SET_POSITION, _SET_STREAM_ID, _SET_RECORDED_AT, _SET_EVENT = (
    getattr(RecordedEvent, name).__set__ for name in RecordedEvent.__slots__
)


def recorded_events(rows: Iterable[Sequence], events: Iterable[DomainEvent]) -> list[RecordedEvent]:
    """``RecordedEvent(position, stream_id, recorded_at, event)`` for each row and its event.

    Each row starts with the position, the stream id (a UUID) and the time (a datetime);
    what follows is not read.
    """
    new_record = object.__new__
    records = []
    append = records.append
    for row, event in zip(rows, events):
        record = new_record(RecordedEvent)
        _SET_POSITION(record, row[0])
        _SET_STREAM_ID(record, row[1])
        _SET_RECORDED_AT(record, row[2])
        _SET_EVENT(record, event)
        append(record)
    return records


def check_stored_versions(
    upcasters: Upcasters,
    stored: Iterable[tuple[str, int]],
    count: Callable[[str, int], int],
) -> None:
    """Refuse stored ``(type, version)`` pairs that ``upcasters`` cannot bring to today.

    ``stored`` lists each distinct pair a store holds; ``count(type, version)`` says how
    many events a missing pair has (asked only then). Unversioned rows are today's shape.

    Raises:
        MissingUpcasterError: naming each event type and stored version, and how many.
    """
    stored = [(name, version) for name, version in stored if version != UNVERSIONED]
    missing = upcasters.missing(stored)
    if missing:
        counts = {pair: count(*pair) for pair in missing}
        raise MissingUpcasterError(counts, upcasters.current)


def _text(data: str | bytes) -> str:
    return data if isinstance(data, str) else data.decode()
