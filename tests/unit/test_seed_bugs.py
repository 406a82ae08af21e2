"""Each bug of the seed's sample, reproduced, next to the lab's fix."""

import asyncio

import duckdb
import pytest
from pydantic import ValidationError

from cqrs_lab import ProjectionError
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    DEMO_CUSTOMERS,
    CreateOrder,
    CreateOrderHandler,
    CustomerService,
    GetOrderById,
    OrderItem,
    created_order_id,
)
from cqrs_lab.orders.comparisons.seed_sample import (
    SeedCommandBus,
    SeedOrderProjection,
    seed_create_order_events,
    seed_item_event,
    seed_route_order_id,
)
from cqrs_lab.orders.order_summary import OrderProjection
from tests.builders import armchair_and_keyboards

ITEMS = armchair_and_keyboards().items


def seed_projection():
    return SeedOrderProjection(duckdb.connect(), CustomerService(DEMO_CUSTOMERS))


def test_bug1_items_before_created_are_lost_by_the_seeds_projection():
    projection = seed_projection()
    events = seed_create_order_events(ADA, ITEMS, DEMO_ADDRESS)
    assert [type(e).__name__ for e in events] == [
        "OrderItemAdded",
        "OrderItemAdded",
        "OrderCreated",
    ]
    for event in events:
        projection.handle_now(event)
    assert projection.db.execute(
        "SELECT total_amount, item_count FROM seed_order_summary"
    ).fetchone() == (0.0, 0)


def test_bug1_fixed_created_comes_first_and_the_order_keeps_its_items(lab):
    events = lab.dispatch(armchair_and_keyboards())
    assert type(events[0]).__name__ == "OrderCreated"
    lab.catch_up()
    view = lab.query(GetOrderById(order_id=created_order_id(events)))
    assert (view.total_amount, view.item_count) == (428.0, 2)


def test_bug1_the_labs_projection_refuses_items_for_an_order_it_has_not_seen(lab):
    from cqrs_lab import InMemoryEventStore, Projector

    store = InMemoryEventStore(lab.clock)
    events = seed_create_order_events(ADA, ITEMS, DEMO_ADDRESS)
    store.append(events[0].order_id, events, expected_version=0)
    projector = Projector(
        store, duckdb.connect(), projections=[OrderProjection(lab.customers)], clock=lab.clock
    )
    with pytest.raises(ProjectionError, match="position 1: order .* has no OrderCreated"):
        projector.catch_up()
    assert projector.position == 0  # nothing half-applied


def test_bug2_the_seeds_item_event_is_refused_naming_the_missing_fields():
    with pytest.raises(ValidationError) as caught:
        seed_item_event(ADA, "CRUNCHY-ARMCHAIR")
    assert {e["loc"][0] for e in caught.value.errors()} == {"quantity", "unit_price"}


def test_bug3_a_redelivered_item_counts_twice_in_the_seeds_projection():
    projection = seed_projection()
    created, item = seed_create_order_events(ADA, ITEMS[:1], DEMO_ADDRESS)[::-1]
    for event in (created, item, item):  # the item is delivered twice
        projection.handle_now(event)
    assert projection.db.execute(
        "SELECT total_amount, item_count FROM seed_order_summary"
    ).fetchone() == (498.0, 2)


def test_bug3_fixed_redelivery_changes_nothing_in_the_lab(lab):
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.catch_up()
    before = lab.read_model("order_summary")
    # Redeliver: ask the projector to apply every event again.
    assert lab.projector.catch_up() == 0
    assert lab.projector.step(3) == 0
    assert lab.read_model("order_summary").equals(before)
    assert lab.query(GetOrderById(order_id=order_id)).total_amount == 428.0


def test_bug4_the_seeds_bus_has_no_publisher_and_the_labs_does(lab):
    bus = SeedCommandBus()
    bus.register(CreateOrder, CreateOrderHandler(lab.orders, lab.inventory, lab.customers))
    with pytest.raises(AttributeError, match="event_publisher"):
        asyncio.run(bus.dispatch(armchair_and_keyboards()))
    heard = []
    lab.command_bus.event_publisher.subscribe(heard.append)
    events = lab.dispatch(armchair_and_keyboards())
    assert heard == events


def test_bug5_events_zero_is_an_item_event_in_the_seeds_order():
    events = seed_create_order_events(
        ADA, [OrderItem(product_id="X", quantity=1, unit_price=1.0)], DEMO_ADDRESS
    )
    assert type(events[0]).__name__ == "OrderItemAdded"
    assert seed_route_order_id(events) == created_order_id(events)  # right only by accident
    with pytest.raises(LookupError, match="no OrderCreated"):
        created_order_id(events[:1])
