"""How a durable store writes an event down and reads it back: a topic and JSON.

A database holds text, not Python objects. Each event is stored as its *topic*, the
importable name of its class (``"cqrs_lab.orders.events:OrderCreated"``, as the
``eventsourcing`` library names it), its fields as JSON, the *schema version* of that shape
and a checksum of the text. Reading it back imports the class from the topic and rebuilds
the event equal to the one appended: same UUIDs, same timezone-aware datetimes, same nested
value objects.

**Which rows are trusted.** A row whose checksum still matches its text and whose schema
version is today's holds exactly what this codec wrote for a validated event: it is rebuilt
without running the domain's validators again (:mod:`~cqrs_lab.write_side.trusted_events`),
which makes a projector's catch-up several times faster. Any other row is validated in full
by pydantic: one changed in the database by hand, by a migration or by damage (its checksum
no longer matches), a row written before the store kept checksums, and a row in an older
shape, which the registered upcasters first bring to today's shape
(:mod:`~cqrs_lab.write_side.upcasting`). A row that does not validate raises
:class:`StoredEventError` naming its position.

**Schema versions.** A codec given :class:`~cqrs_lab.write_side.upcasting.Upcasters` stamps
each event with its type's current version and upcasts older rows on read. A codec given
none stamps :data:`UNVERSIONED` (0) and reads every row as today's shape; a row stamped 0
is always read as today's shape.

A process that never imported the event's module (a projector of its own) still finds the
class through the topic; a class defined inside a function cannot be imported, so the codec
also remembers every class it encoded in this process.
"""

from __future__ import annotations

import importlib
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.trusted_events import TrustedBuilder
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
    checksum: int
    data: str


def checksum(data: str) -> int:
    """The CRC-32 of ``data``: tells a row this codec wrote from one changed since."""
    return zlib.crc32(data.encode())


class _Kind(NamedTuple):
    """What the codec knows about one stored topic."""

    cls: type[DomainEvent]
    name: str
    current: int | None  # today's schema version; None: no upcasters, every row is today's
    builder: TrustedBuilder | None


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
        """Everything a store writes for ``event``: type, topic, version, checksum, JSON."""
        topic, data = self.encode(event)
        name = type(event).__name__
        version = UNVERSIONED if self._upcasters is None else self._upcasters.version_of(name)
        return EncodedEvent(name, topic, version, checksum(data), data)

    def decode(self, topic: str, data: str | bytes) -> DomainEvent:
        """The event ``encode`` gave ``(topic, data)`` for (validated in full).

        Raises:
            UnknownEventTypeError: if the topic names no importable event class.
        """
        kind = self._types.get(topic) or self._load(topic)
        return kind.model_validate_json(data)

    def decode_all(self, rows: Sequence[tuple]) -> list[DomainEvent]:
        """The events of stored rows, in order.

        Each row is ``(position, stream_id, recorded_at, topic, schema_version, checksum,
        data)``, as both durable stores select them (the codec reads all but the second and
        third).

        Trusted rows (see the module) are rebuilt without validators; the others are
        validated, events of one type together as one JSON list (one pydantic call per type);
        rows in an older shape are upcast one by one.

        Raises:
            UnknownEventTypeError: if a topic names no importable event class.
            StoredEventError: naming the position of an event that does not validate.
            MissingUpcasterError, FactNeverRecordedError: from an upcaster.
        """
        trusted: dict[str, list[int]] = {}
        checked: dict[str, list[int]] = {}
        older: list[int] = []
        kinds = self._kinds
        for index, (_, _, _, topic, version, crc, data) in enumerate(rows):
            kind = kinds.get(topic) or self._kind(topic)
            if version == UNVERSIONED or kind.current is None or version == kind.current:
                if kind.builder is not None and crc == checksum(_text(data)):
                    trusted.setdefault(topic, []).append(index)
                else:
                    checked.setdefault(topic, []).append(index)
            else:
                older.append(index)
        events: list[DomainEvent] = [None] * len(rows)  # type: ignore[list-item]
        cache: dict = {}  # each distinct id or time string converted once per batch
        for topic, indexes in trusted.items():
            build = kinds[topic].builder.build
            stored = json.loads("[" + ",".join(_text(rows[i][6]) for i in indexes) + "]")
            try:
                for index, fields in zip(indexes, stored):
                    events[index] = build(fields, cache)
            except (ValueError, TypeError, KeyError):  # a shape that changed: validate it
                checked.setdefault(topic, []).extend(indexes)
        for topic, indexes in checked.items():
            for index, event in zip(indexes, self._validated(topic, rows, indexes)):
                events[index] = event
        for index in older:
            events[index] = self._upcast(rows[index])
        return events

    def _validated(self, topic: str, rows: Sequence, indexes: list[int]) -> list[DomainEvent]:
        adapter = self._list_adapters.get(topic)
        if adapter is None:
            adapter = self._list_adapters[topic] = TypeAdapter(list[self._kind(topic).cls])
        batch = "[" + ",".join(_text(rows[index][6]) for index in indexes) + "]"
        try:
            return adapter.validate_json(batch)
        except ValidationError:
            return [self._decode_one(rows[index][0], topic, rows[index][6]) for index in indexes]

    def _upcast(self, row: tuple) -> DomainEvent:
        position, _, _, topic, version, _, data = row
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
        kind = self._kinds[topic] = _Kind(cls, name, current, TrustedBuilder.for_class(cls))
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


def check_batch(stream_id: UUID, events: Sequence[DomainEvent], expected_version: int) -> None:
    """Refuse a batch that does not continue ``stream_id`` from ``expected_version``.

    The same rule and wording as :class:`~cqrs_lab.InMemoryEventStore`, for the stores that
    check a whole batch before they write any of it.

    Raises:
        ValueError: an event's version is not the next one, or it belongs to another stream.
    """
    version = expected_version
    for event in events:
        version += 1
        if event.version != version:
            raise ValueError(
                f"{type(event).__name__} has version {event.version}; stream {stream_id} "
                f"expects {version}"
            )
        if event.aggregate_id != stream_id:
            raise ValueError(
                f"{type(event).__name__} belongs to {event.aggregate_id}, not stream {stream_id}"
            )
