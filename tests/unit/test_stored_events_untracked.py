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


def test_an_event_at_the_append_time_shares_its_datetime_and_keeps_its_zone():
    from datetime import datetime, timedelta, timezone

    from cqrs_lab import SimulatedClock

    clock = SimulatedClock()
    store = InMemoryEventStore(clock)
    at_append = OrderShipped(order_id=ORDER, version=1, occurred_at=clock.now().replace())
    elsewhere = clock.now().astimezone(timezone(timedelta(hours=2)))  # same instant
    other_zone = OrderShipped(order_id=UUID(int=7), version=1, occurred_at=elsewhere)
    copy_of_now = datetime.fromisoformat(clock.now().isoformat())
    assert copy_of_now is not clock.now()

    first = store.append(ORDER, [at_append], expected_version=0)[0]
    second = store.append(UUID(int=7), [other_zone], expected_version=0)[0]

    assert at_append.occurred_at is first.recorded_at
    assert other_zone.occurred_at is elsewhere  # equal instant, another zone: kept
    assert other_zone.occurred_at.utcoffset() == timedelta(hours=2)
    assert second.recorded_at is first.recorded_at  # the clock stood still
