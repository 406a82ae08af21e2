"""Events that change shape: versioned stored events, upcast on read, never rewritten.

An event store is append-only, so an event recorded in last year's shape stays in last
year's shape. Code reads it in today's shape through **upcasters**: small functions that
turn the stored fields of one schema version into the next (a rename, a default, a field
split in two), chained until the shape is today's. The stored text is never touched.

An upcaster can only reshape what was recorded. A fact the old shape never held (the price
of a line, when only the product was recorded) cannot be computed; the upcaster raises
:class:`FactNeverRecordedError` naming it, and the lab refuses to guess. The repair is a
fact from a source the business trusts (an invoice archive, say), given as an upcaster of
its own, so where each value came from stays visible.

:meth:`Upcasters.check` runs when a log is opened: every stored (type, version) must have a
path to today's shape, or the log refuses to open, naming what is missing. A learner finds
the gap at start-up, not when a read happens to meet that event. The durable stores do the
same in ``use_upcasters``, which ``build_lab`` calls: they keep a small table of the (type,
version) pairs they hold, so the check is one query, not a read of every event, and their
codec upcasts older rows on every read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.event_store import RecordedEvent

Fields = dict
Upcaster = Callable[[Fields], Fields]


class MissingUpcasterError(LookupError):
    """Stored events of a schema version with no path to today's shape.

    Attributes:
        missing: ``{(event type, stored version): count}``.
    """

    def __init__(self, missing: Mapping[tuple[str, int], int], current: Mapping[str, int]) -> None:
        self.missing = dict(missing)
        parts = [
            f"{count} {name} v{version} (today: v{current.get(name, '?')})"
            for (name, version), count in sorted(self.missing.items())
        ]
        super().__init__("no upcaster reaches today's shape for " + "; ".join(parts))


class FactNeverRecordedError(ValueError):
    """An old event lacks a fact today's shape needs, and nothing may invent it.

    Attributes:
        event_type, version: the stored shape. missing: the fields never recorded.
    """

    def __init__(self, event_type: str, version: int, missing: Iterable[str]) -> None:
        self.event_type = event_type
        self.version = version
        self.missing = list(missing)
        super().__init__(
            f"{event_type} v{version} never recorded {', '.join(self.missing)}: an upcaster "
            "can rename and reshape what was recorded, not invent what was not"
        )


class Upcasters:
    """Upcasters by (event type, version they read), and each type's current version."""

    def __init__(self, current: Mapping[str, int]) -> None:
        self.current = dict(current)
        """Event type name -> today's schema version (types not listed are at version 1)."""
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        """``upcaster`` turns fields of ``from_version`` into ``from_version + 1``."""
        self._steps[(event_type, from_version)] = upcaster

    def version_of(self, event_type: str) -> int:
        return self.current.get(event_type, 1)

    def upcast(self, event_type: str, version: int, fields: Fields) -> Fields:
        """``fields`` in today's shape (a new dict; the input is not changed).

        Raises:
            MissingUpcasterError: a step of the chain is missing.
            FactNeverRecordedError: a step cannot supply a fact (from the upcaster).
        """
        fields = dict(fields)
        while version < self.version_of(event_type):
            step = self._steps.get((event_type, version))
            if step is None:
                raise MissingUpcasterError({(event_type, version): 1}, self.current)
            fields = step(fields)
            version += 1
        return fields

    def missing(self, stored: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
        """The stored ``(type, version)`` pairs with no chain of upcasters to today's version."""
        missing = []
        for event_type, version in stored:
            steps = range(version, self.version_of(event_type))
            if any((event_type, v) not in self._steps for v in steps):
                missing.append((event_type, version))
        return missing

    def check(self, stored: Iterable[tuple[str, int]]) -> None:
        """Refuse to start if a stored (type, version) has no chain to today's version.

        ``stored`` holds one pair per stored event (:class:`VersionedEventLog` passes them
        all); a durable store passes each distinct pair once and counts only the missing
        ones (:meth:`~cqrs_lab.write_side.event_codec.EventCodec.check_stored`).

        Raises:
            MissingUpcasterError: naming every unreachable (type, version) and how many.
        """
        missing: dict[tuple[str, int], int] = {}
        for pair in self.missing(stored):
            missing[pair] = missing.get(pair, 0) + 1
        if missing:
            raise MissingUpcasterError(missing, self.current)


@dataclass(frozen=True)
class StoredRow:
    """One event as a versioned log keeps it: text that is never rewritten."""

    position: int
    stream_id: UUID
    event_type: str
    schema_version: int
    data: str
    """The fields as JSON, in the shape of ``schema_version``."""
    recorded_at: datetime


@dataclass
class VersionedEventLog:
    """An append-only log of events in any past shape, read in today's shape.

    An :class:`~cqrs_lab.write_side.event_source.EventSource`: a projector runs over it
    unchanged. Opening it (:meth:`open`) checks every stored version has an upcaster chain.
    """

    event_types: Mapping[str, type[DomainEvent]]
    upcasters: Upcasters
    rows: list[StoredRow] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        event_types: Iterable[type[DomainEvent]],
        upcasters: Upcasters,
        rows: Iterable[StoredRow] = (),
    ) -> VersionedEventLog:
        """The log of ``rows``, after :meth:`Upcasters.check` found a path for each.

        Raises:
            MissingUpcasterError: at once, naming what cannot be read.
        """
        rows = list(rows)
        upcasters.check((row.event_type, row.schema_version) for row in rows)
        return cls({t.__name__: t for t in event_types}, upcasters, rows)

    def append(
        self, stream_id: UUID, event_type: str, version: int, fields: Fields, at: datetime
    ) -> None:
        """Store ``fields`` as they are, in the shape of ``version`` (never converted)."""
        row = StoredRow(len(self.rows) + 1, stream_id, event_type, version, json.dumps(fields), at)
        self.rows.append(row)

    @property
    def head(self) -> int:
        return len(self.rows)

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Events after ``after``, upcast to today's shape (the rows stay as stored)."""
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after}")
        end = None if limit is None else after + limit
        return [self.read(row) for row in self.rows[after:end]]

    def read(self, row: StoredRow) -> RecordedEvent:
        """One stored row as today's event."""
        fields = self.upcasters.upcast(row.event_type, row.schema_version, json.loads(row.data))
        # A shape that never recorded when it happened happened when it was stored.
        fields.setdefault("occurred_at", row.recorded_at)
        event = self.event_types[row.event_type].model_validate(fields)
        return RecordedEvent(row.position, row.stream_id, row.recorded_at, event)
