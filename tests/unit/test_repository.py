"""The repository loads an Order from its stream and saves with the expected version."""

import asyncio

import pytest

from cqrs_lab import (
    Command,
    CommandBus,
    ConcurrencyError,
    EventSourcedRepository,
    InMemoryEventStore,
)
from cqrs_lab.orders import ADA, DEMO_ADDRESS, Order, OrderItem, OrderStatus
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.write_side.event_store import DuplicateCommandError
from cqrs_lab.write_side.repository import AggregateNotFoundError

ITEM = OrderItem(product_id="MIDNIGHT-LAMP", quantity=2, unit_price=35.25)


def test_save_then_get_rehydrates_the_same_order():
    repo = EventSourcedRepository(InMemoryEventStore(), Order)
    order = Order.create(ADA, [ITEM], DEMO_ADDRESS)
    saved = asyncio.run(repo.save(order))
    assert [type(e).__name__ for e in saved] == ["OrderCreated", "OrderItemAdded"]
    assert not order.has_pending_events
    loaded = asyncio.run(repo.get(order.id))
    assert (loaded.customer_id, loaded.items, loaded.status, loaded.version) == (
        ADA,
        [ITEM],
        OrderStatus.PENDING,
        2,
    )
    assert loaded.total_amount == 70.5


def test_two_writers_of_one_order_the_second_gets_a_concurrency_error():
    repo = EventSourcedRepository(InMemoryEventStore(), Order)
    order = Order.create(ADA, [ITEM], DEMO_ADDRESS)
    asyncio.run(repo.save(order))
    first, second = asyncio.run(repo.get(order.id)), asyncio.run(repo.get(order.id))
    first.ship()
    asyncio.run(repo.save(first))
    second.cancel("changed my mind")
    with pytest.raises(ConcurrencyError) as caught:
        asyncio.run(repo.save(second))
    assert (caught.value.expected_version, caught.value.actual_version) == (2, 3)
    assert second.has_pending_events  # nothing was stored, nothing was lost
    assert asyncio.run(repo.get(order.id)).status == OrderStatus.SHIPPED


def test_getting_an_order_that_was_never_saved_names_it():
    repo = EventSourcedRepository(InMemoryEventStore(), Order)
    with pytest.raises(AggregateNotFoundError, match=f"Order {ADA} does not exist"):
        asyncio.run(repo.get(ADA))


class PlaceTwo(Command):
    """A command whose handler saves two aggregates (two appends for one command)."""


def test_under_a_bus_save_stores_the_command_id_with_the_first_append_only():
    store = InMemoryEventStore()
    repo = EventSourcedRepository(store, Order)

    async def place_two(command):
        first = await repo.save(Order.create(ADA, [ITEM], DEMO_ADDRESS))
        return first + await repo.save(Order.create(ADA, [ITEM], DEMO_ADDRESS))

    bus = CommandBus()
    bus.register(PlaceTwo, place_two)
    command = PlaceTwo()
    events = bus.dispatch_sync(command)
    assert len(events) == 4 and store.head == 4  # the second save was not taken for a resend
    assert [r.event for r in store.recorded_for(command.command_id)] == events[:2]
    with pytest.raises(DuplicateCommandError):  # a second send of it is refused by the store
        asyncio.run(place_two_again(repo, command))
    assert store.head == 4


async def place_two_again(repo, command):
    """What a bus does for a resend it no longer remembers: save under the command's id."""
    with defaults.using(*defaults.unbound()):
        defaults.current.get().command_id = command.command_id
        await repo.save(Order.create(ADA, [ITEM], DEMO_ADDRESS))


def test_outside_a_bus_save_carries_no_command_id():
    store = InMemoryEventStore()
    repo = EventSourcedRepository(store, Order)
    asyncio.run(repo.save(Order.create(ADA, [ITEM], DEMO_ADDRESS)))
    asyncio.run(repo.save(Order.create(ADA, [ITEM], DEMO_ADDRESS)))
    assert store.head == 4
