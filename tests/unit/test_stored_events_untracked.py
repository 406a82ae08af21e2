"""The in-memory store takes what it keeps off the cyclic collector's list, and only that.

A full collection walks every tracked object; a lab holding a million events made those
walks a fifth of the write path. Stored events of plain values cannot be part of a cycle,
so the store untracks them (and their records); one that could (it holds a list) stays
tracked. Either way, reference counting frees them when the store goes.
"""

import gc
import weakref
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ConfigDict, PrivateAttr

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
    created = OrderCreated(
        order_id=ORDER, version=1, customer_id=CUSTOMER, shipping_address=ADDRESS
    )
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
    store = InMemoryEventStore()
    given_time = OrderShipped(
        order_id=ORDER, version=1, occurred_at=datetime(2026, 1, 1, tzinfo=UTC)
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


class Thing(DomainEvent):
    """A learner's event: frozen like every DomainEvent unless its class says otherwise."""

    thing_id: UUID
    payload: Any = None

    @property
    def aggregate_id(self) -> UUID:
        return self.thing_id


class UnfrozenThing(Thing):
    model_config = ConfigDict(frozen=False)


class CachingThing(Thing):
    _cache: Any = PrivateAttr()


def _point_back(event: Thing) -> None:
    if isinstance(event, CachingThing):
        event._cache = {"self": event}
    else:
        event.payload = [event]


@pytest.mark.parametrize("kind", [UnfrozenThing, CachingThing], ids=["not frozen", "private"])
def test_an_event_whose_class_lets_it_change_later_stays_tracked_and_is_collected(kind):
    """Its value may point back at it after the append: the collector must still see it."""
    store = InMemoryEventStore()
    thing = kind(thing_id=ORDER, version=1)
    [record] = store.append(ORDER, [thing], expected_version=0)
    assert gc.is_tracked(thing) and gc.is_tracked(record)

    _point_back(thing)
    gone = weakref.ref(thing)
    del thing, record, store
    gc.collect()
    assert gone() is None


def test_the_record_of_a_tracked_event_stays_tracked_too():
    """A list in the event can be handed the record: a cycle through the record."""
    store = InMemoryEventStore()
    noted = Noted(note_id=ORDER, version=1, tags=[])
    [record] = store.append(ORDER, [noted], expected_version=0)
    assert gc.is_tracked(record)

    noted.tags.append(record)
    gone = weakref.ref(noted)
    del noted, record, store
    gc.collect()
    assert gone() is None


def test_changing_an_unfrozen_stored_event_leaves_the_others_field_sets_alone():
    store = InMemoryEventStore()
    first = UnfrozenThing(thing_id=UUID(int=1), version=1)
    second = UnfrozenThing(thing_id=UUID(int=2), version=1)
    store.append(first.thing_id, [first], expected_version=0)
    store.append(second.thing_id, [second], expected_version=0)

    first.payload = 5
    assert "payload" in first.model_fields_set
    assert second.model_fields_set == {"thing_id", "version"}


def test_a_uuid_subclass_names_the_same_stream_as_the_uuid_it_equals():
    """A uuid7 from another package is a UUID subclass: one id, one stream, one version check."""

    class OtherUUID(UUID):
        __slots__ = ()

    store = InMemoryEventStore()
    store.append(
        OtherUUID(int=ORDER.int), [OrderShipped(order_id=ORDER, version=1)], expected_version=0
    )
    assert [r.event.version for r in store.read_stream(ORDER)] == [1]
    with pytest.raises(Exception, match="expected version 0"):
        store.append(ORDER, [OrderShipped(order_id=ORDER, version=1)], expected_version=0)
