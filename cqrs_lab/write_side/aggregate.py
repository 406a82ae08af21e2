"""The event-sourced aggregate base: state is whatever its events say it is.

A command method checks an invariant, then calls :meth:`Aggregate._raise_event`. That
stamps the event's version, applies it to the aggregate's state with :meth:`_apply`, and
queues it in ``pending_events`` for the repository to store. Loading an aggregate replays
the same ``_apply`` over its history, so there is one code path for "what an event means".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent


class Aggregate:
    """Base class for event-sourced aggregates; subclasses implement :meth:`_apply`."""

    def __init__(self, id: UUID) -> None:
        self.id = id
        """The aggregate's identity, also the id of its event stream."""
        self.version = 0
        """Version of the last event applied (0: nothing has happened yet)."""
        self._pending_events: list[DomainEvent] = []

    def _apply(self, event: DomainEvent) -> None:
        """Change state to reflect ``event``. Must not raise and must not check rules."""
        raise NotImplementedError(f"{type(self).__name__} must implement _apply")

    @property
    def next_version(self) -> int:
        """The version the next raised event gets (``version + 1``)."""
        return self.version + 1

    def _raise_event(self, event: DomainEvent) -> None:
        """Record that ``event`` happened: stamp the next version, apply it, queue it.

        An event built with ``version=self.next_version`` already carries its stamp and is
        queued as it is; any other version is replaced by a stamped copy (events are
        immutable), so a hand-built event still cannot claim a slot by accident.
        """
        # Construct the next event in the aggregate's sequence.
        version = self.version + 1
        if event.version != version:
            event = _with_version(event, version)
        self._apply(event)
        self.version = version
        self._pending_events.append(event)

    @property
    def pending_events(self) -> list[DomainEvent]:
        """New events not yet saved. Reading this *drains* the queue, as in the seed."""
        events = self._pending_events.copy()
        self._pending_events.clear()
        return events

    @property
    def has_pending_events(self) -> bool:
        """Whether there are unsaved events (reading this does not drain them)."""
        return bool(self._pending_events)

    @property
    def saved_version(self) -> int:
        """The version the store holds: ``version`` minus the unsaved events."""
        return self.version - len(self._pending_events)

    @classmethod
    def from_history(cls, id: UUID, events: Iterable[DomainEvent]) -> Self:
        """Rebuild an aggregate by replaying its past events (rehydration).

        Raises:
            ValueError: if the events are not this aggregate's, in version order.
        """
        aggregate = cls.__new__(cls)
        Aggregate.__init__(aggregate, id)
        cls._init_state(aggregate)
        for event in events:
            if not isinstance(event, DomainEvent):
                raise TypeError(
                    f"{cls.__name__} {id} cannot apply {type(event).__name__}: "
                    "its stream holds something that is not a DomainEvent"
                )
            if event.aggregate_id != id or event.version != aggregate.version + 1:
                raise ValueError(
                    f"cannot replay {type(event).__name__} v{event.version} onto "
                    f"{cls.__name__} {id} at version {aggregate.version}"
                )
            aggregate._apply(event)
            aggregate.version = event.version
        return aggregate

    def _init_state(self) -> None:
        """Set the fields that exist before any event (called before replay)."""


def _with_version(event: DomainEvent, version: int) -> DomainEvent:
    """``event.model_copy(update={"version": version})``, without pydantic's generic copy.

    The write path stamps every event, so this is one of its hottest lines; the result is
    the same (equal fields, the same fields-set), built in half the time.
    """
    stamped = type(event).__new__(type(event))
    _set = object.__setattr__
    _set(stamped, "__dict__", {**event.__dict__, "version": version})
    _set(stamped, "__pydantic_extra__", event.__pydantic_extra__)
    _set(stamped, "__pydantic_fields_set__", event.__pydantic_fields_set__ | {"version"})
    private = event.__pydantic_private__
    _set(stamped, "__pydantic_private__", None if private is None else dict(private))
    return stamped
