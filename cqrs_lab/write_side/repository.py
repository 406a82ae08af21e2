"""The event-sourced repository: load an aggregate from its stream, save its new events.

Async, as the seed's ``await self.order_repo.save(order)``. ``save`` returns the events it
stored; the seed's handler instead returns ``order.pending_events`` *after* saving, which
is empty by then when saving drains the queue.

When a command bus runs the handler, ``save`` passes the command's id to the store with the
command's first append (see :mod:`cqrs_lab.time_and_ids.defaults`): the store then refuses
to store the same command twice, however the two sends raced. A handler that saves several
aggregates records the id with its first save only, so a resend the bus no longer remembers
is refused at that first save (and answered with that save's events).
"""

from __future__ import annotations

from typing import Generic, TypeVar
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_store import InMemoryEventStore

A = TypeVar("A", bound=Aggregate)


class AggregateNotFoundError(LookupError):
    """No stream exists for the requested aggregate id.

    Attributes:
        aggregate_type: what was asked for. aggregate_id: the id that has no stream.
    """

    def __init__(self, aggregate_type: type, aggregate_id: UUID) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        super().__init__(f"{aggregate_type.__name__} {aggregate_id} does not exist")


class EventSourcedRepository(Generic[A]):
    """Loads and saves one aggregate type through an event store."""

    def __init__(self, event_store: InMemoryEventStore, aggregate_type: type[A]) -> None:
        self.event_store = event_store
        self.aggregate_type = aggregate_type

    async def get(self, aggregate_id: UUID) -> A:
        """Replay the aggregate's stream. Raises :class:`AggregateNotFoundError` if empty."""
        history = self.event_store.read_stream(aggregate_id)
        if not history:
            raise AggregateNotFoundError(self.aggregate_type, aggregate_id)
        return self.aggregate_type.from_history(aggregate_id, (r.event for r in history))

    async def save(self, aggregate: A) -> list[DomainEvent]:
        """Append the aggregate's pending events, expecting the version it was loaded at.

        Raises:
            ConcurrencyError: if someone else appended to the stream meanwhile; the
                aggregate's pending events are then left in place, nothing is stored.
            DuplicateCommandError: if the command being dispatched was already stored
                (the bus answers that as a resend).
        """
        pending = aggregate._pending_events
        dispatch = defaults.current.get()
        if dispatch is None or dispatch.recorded or dispatch.command_id is None:
            self.event_store.append(aggregate.id, pending, expected_version=aggregate.saved_version)
        else:
            self.event_store.append(
                aggregate.id,
                pending,
                expected_version=aggregate.saved_version,
                command_id=dispatch.command_id,
            )
            dispatch.recorded = bool(pending)
        # Stored: the aggregate starts a new queue and the caller gets the old one.
        aggregate._pending_events = []
        return pending
