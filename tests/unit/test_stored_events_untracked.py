"""The in-memory store takes what it keeps off the cyclic collector's list, and only that.

A full collection walks every tracked object; a lab holding a million events made those
walks a fifth of the write path. Stored events of plain values cannot be part of a cycle,
so the store untracks them (and their records); one that could (it holds a list) stays
tracked. Either way, reference counting frees them when the store goes.
"""

import gc
import weakref
from uuid import UUID

from cqrs_lab import InMemoryEventStore
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders import Address, OrderCreated, OrderShipped

ORDER = UUID("00000000-0000-4000-8000-0000000000a1")
CUSTOMER = UUID("00000000-0000-4000-8000-0000000000c1")
ADDRESS = Address(street="1 Main St", city="Springfield", postal_code="12345", country="US")


class Noted(DomainEvent):
    """An event holding a list: something that could lead back to the event."""

    note_id: UUID
    tags: list[object]

    @property
    def aggregate_id(self) -> UUID:
        return self.note_id


def test_stored_events_their_models_and_records_are_untracked():
    store = InMemoryEventStore()
    created = OrderCreated(order_id=ORDER, version=1, customer_id=CUSTOMER, shipping_address=ADDRESS)
    shipped = OrderShipped(order_id=ORDER, version=2)
    assert gc.is_tracked(created) and gc.is_tracked(shipped)

    recorded = store.append(ORDER, [created, shipped], expected_version=0)

    for record in recorded:
        assert not gc.is_tracked(record)
        assert not gc.is_tracked(record.event)
        assert not gc.is_tracked(record.event.__dict__)
    assert not gc.is_tracked(created.shipping_address)
    # Still the same events, read back as stored.
    assert [r.event for r in store.read_all()] == [created, shipped]
    assert store.read_stream(ORDER)[1].event.version == 2


def test_an_event_that_could_be_in_a_cycle_stays_tracked_and_is_collected():
    store = InMemoryEventStore()
    noted = Noted(note_id=ORDER, version=1, tags=[])
    store.append(ORDER, [noted], expected_version=0)
    assert gc.is_tracked(noted)

    noted.tags.append(noted)  # a cycle through the stored event
    gone = weakref.ref(noted)
    del noted, store
    gc.collect()
    assert gone() is None


def test_untracked_events_are_freed_with_their_store():
    store = InMemoryEventStore()
    shipped = OrderShipped(order_id=ORDER, version=1)
    store.append(ORDER, [shipped], expected_version=0)
    gone = weakref.ref(shipped)
    del shipped, store  # no collection needed: nothing untracked is in a cycle
    assert gone() is None


def test_a_refused_append_leaves_the_events_usable():
    store = InMemoryEventStore()
    good = OrderShipped(order_id=ORDER, version=1)
    bad = OrderShipped(order_id=ORDER, version=5)
    try:
        store.append(ORDER, [good, bad], expected_version=0)
    except ValueError:
        pass
    assert store.head == 0
    assert store.append(ORDER, [good], expected_version=0)[0].event is good



def test_each_stored_event_keeps_the_fields_it_was_given():
    """The store shares one field-name set per distinct set, never another event's."""
    from datetime import datetime, timezone

    store = InMemoryEventStore()
    given_time = OrderShipped(
        order_id=ORDER, version=1, occurred_at=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    defaulted = OrderShipped(order_id=UUID(int=7), version=1)
    again = OrderShipped(order_id=UUID(int=8), version=1)
    for event in (given_time, defaulted, again):
        store.append(event.order_id, [event], expected_version=0)

    stored = [r.event for r in store.read_all()]
    assert stored[0].model_fields_set == {"order_id", "version", "occurred_at"}
    assert stored[1].model_fields_set == {"order_id", "version"}
    assert stored[1].__pydantic_fields_set__ is stored[2].__pydantic_fields_set__
    assert all(not gc.is_tracked(event) for event in stored)
