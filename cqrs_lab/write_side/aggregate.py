"""The event-sourced aggregate base: state is whatever its events say it is.

A command method checks an invariant, then states what happened:
``self._raise_event(OrderShipped)``, or with the event's own fields,
``self._raise_event(OrderItemAdded, product_id=..., quantity=..., unit_price=...)``.
The base builds the event, as the ``eventsourcing`` library's ``trigger_event`` does: it
fills in the aggregate's id, the next version and the time, applies the event to the
aggregate's state with :meth:`_apply`, and queues it in ``pending_events`` for the
repository to store. Loading an aggregate replays the same ``_apply`` over its history,
so there is one code path for "what an event means".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent


class Aggregate:
    """Base class for event-sourced aggregates; subclasses implement :meth:`_apply`."""

    id_field: ClassVar[str] = "aggregate_id"
    """The field of this aggregate's events that holds its id (``"order_id"`` for an
    order): :meth:`_raise_event` fills it in."""

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

    def _raise_event(
        self, event_type: type[DomainEvent] | DomainEvent, /, **fields: Any
    ) -> DomainEvent:
        """Record that an event of ``event_type`` happened, with ``fields``; returns it.

        The aggregate fills in what every event of it carries: its id (``id_field``), the
        next version and, through the event's default, the time on the lab's clock. The
        event is validated like any pydantic model, applied, and queued. An event built
        beforehand is accepted too, stamped with the next version (a copy, if it claimed
        another: events are immutable).

        Raises:
            TypeError: if ``fields`` tries to set the id or the version.
            pydantic.ValidationError: if the fields do not make a valid event.
        """
        version = self.version + 1
        if isinstance(event_type, DomainEvent):
            event = event_type
            if event.version != version:
                event = event.model_copy(update={"version": version})
        else:
            if self.id_field in fields or "version" in fields:
                raise TypeError(
                    f"{event_type.__name__}: {self.id_field} and version are stamped by "
                    f"{type(self).__name__}, not given"
                )
            fields[self.id_field] = self.id
            fields["version"] = version
            # Construct the next event in the aggregate's sequence: the same validation as
            # event_type(**fields), through the compiled validator without the Python
            # frame of BaseModel.__init__ (the write path builds every event here).
            event = event_type.__pydantic_validator__.validate_python(fields)
        self._apply(event)
        self.version = version
        self._pending_events.append(event)
        return event

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
        aggregate.replay(events)
        return aggregate

    def replay(self, events: Iterable[DomainEvent]) -> None:
        """Apply stored events that continue this aggregate's history (rehydration; also
        how a kept or snapshotted aggregate catches up with the events after it).

        Raises:
            ValueError: if the events are not this aggregate's, in version order.
        """
        cls = type(self)
        for event in events:
            if not isinstance(event, DomainEvent):
                raise TypeError(
                    f"{cls.__name__} {self.id} cannot apply {type(event).__name__}: "
                    "its stream holds something that is not a DomainEvent"
                )
            if event.aggregate_id != self.id or event.version != self.version + 1:
                raise ValueError(
                    f"cannot replay {type(event).__name__} v{event.version} onto "
                    f"{cls.__name__} {self.id} at version {self.version}"
                )
            self._apply(event)
            self.version = event.version

    def _init_state(self) -> None:
        """Set the fields that exist before any event (called before replay)."""
