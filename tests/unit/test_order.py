"""The Order aggregate, given past events, when a command, then new events or an error."""

from uuid import UUID

import pytest
from pydantic import ValidationError

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    InvalidOperationError,
    Order,
    OrderCancelled,
    OrderCreated,
    OrderItem,
    OrderItemAdded,
    OrderShipped,
    OrderStatus,
)
from cqrs_lab.testing import Scenario

ID = UUID("00000000-0000-4000-8000-0000000000f1")
CREATED = OrderCreated(order_id=ID, customer_id=ADA, shipping_address=DEMO_ADDRESS)
ARMCHAIR = OrderItemAdded(order_id=ID, product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)
SHIPPED = OrderShipped(order_id=ID)
CANCELLED = OrderCancelled(order_id=ID, reason="too big")
ARMCHAIR_LINE = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)


class TestCreateOrder:
    def test_order_created_comes_first_then_one_item_event_per_line(self):
        items = [OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)]
        Scenario(Order).when(lambda _: Order.create(ADA, items, DEMO_ADDRESS, order_id=ID)).then(
            CREATED, ARMCHAIR
        )

    def test_new_events_are_versioned_in_order(self):
        order = Order.create(
            ADA, [OrderItem(product_id="X", quantity=1, unit_price=1)] * 2, DEMO_ADDRESS
        )
        assert [e.version for e in order.pending_events] == [1, 2, 3]
        assert order.pending_events == []  # reading drains, as in the seed

    def test_an_order_needs_items(self):
        Scenario(Order).when(lambda _: Order.create(ADA, [], DEMO_ADDRESS)).then_error(
            InvalidOperationError, "at least one item"
        )


class TestCancelOrder:
    def test_a_pending_order_can_be_cancelled(self):
        Scenario(Order).given(CREATED, ARMCHAIR).when(lambda o: o.cancel("too big")).then(CANCELLED)

    def test_cannot_cancel_a_shipped_order(self):
        Scenario(Order).given(CREATED, ARMCHAIR, SHIPPED).when(
            lambda o: o.cancel("late")
        ).then_error(InvalidOperationError, "Cannot cancel shipped order")

    def test_cannot_cancel_twice(self):
        Scenario(Order).given(CREATED, CANCELLED).when(lambda o: o.cancel("again")).then_error(
            InvalidOperationError, "cancelled"
        )


class TestShipOrder:
    def test_a_pending_order_can_be_shipped(self):
        Scenario(Order).given(CREATED, ARMCHAIR).when(lambda o: o.ship()).then(SHIPPED)

    def test_cannot_ship_a_cancelled_order(self):
        Scenario(Order).given(CREATED, CANCELLED).when(lambda o: o.ship()).then_error(
            InvalidOperationError, "Cannot ship cancelled"
        )

    def test_cannot_ship_twice(self):
        Scenario(Order).given(CREATED, SHIPPED).when(lambda o: o.ship()).then_error(
            InvalidOperationError, "shipped"
        )

    def test_cannot_add_items_after_shipping(self):
        item = OrderItem(product_id="X", quantity=1, unit_price=1)
        Scenario(Order).given(CREATED, SHIPPED).when(lambda o: o.add_item(item)).then_error(
            InvalidOperationError
        )


def test_rehydrating_from_history_gives_the_state_the_events_describe():
    order = Order.from_history(
        ID,
        [
            e.model_copy(update={"version": v})
            for v, e in enumerate([CREATED, ARMCHAIR, SHIPPED], 1)
        ],
    )
    assert (order.status, order.total_amount, order.version) == (OrderStatus.SHIPPED, 249.0, 3)


def test_rehydrating_refuses_events_out_of_version_order():
    with pytest.raises(ValueError, match="cannot replay"):
        Order.from_history(ID, [CREATED.model_copy(update={"version": 2})])


def test_the_scenario_helper_fails_when_events_differ():
    with pytest.raises(AssertionError, match="events differ"):
        Scenario(Order).given(CREATED).when(lambda o: o.ship()).then(CANCELLED)


def test_raising_an_event_stamps_the_next_version_on_a_copy_whatever_version_it_claimed():
    order = Order(ID)
    order._raise_event(CREATED)  # built without a version
    order._raise_event(ARMCHAIR.model_copy(update={"version": 7}))  # claims a wrong slot
    created, armchair = order.pending_events
    assert (created.version, armchair.version, order.version) == (1, 2, 2)
    assert created == CREATED.model_copy(update={"version": 1})
    assert created.model_fields_set == CREATED.model_fields_set | {"version"}
    assert CREATED.version == 0  # the event raised is immutable: a stamped copy is queued


def test_an_event_built_with_the_next_version_is_queued_as_it_is():
    order = Order(ID)
    born_stamped = CREATED.model_copy(update={"version": order.next_version})
    order._raise_event(born_stamped)
    assert order.pending_events[0] is born_stamped
    assert order.next_version == 2


def test_orders_with_the_same_line_hold_equal_immutable_items_and_a_bad_line_still_fails():
    other = UUID("00000000-0000-4000-8000-0000000000f2")
    first, second = (
        Order.from_history(
            order_id,
            [
                CREATED.model_copy(update={"order_id": order_id, "version": 1}),
                ARMCHAIR.model_copy(update={"order_id": order_id, "version": 2}),
            ],
        )
        for order_id in (ID, other)
    )
    assert (
        first.items
        == second.items
        == [OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)]
    )
    blank = OrderItemAdded(order_id=ID, product_id="", quantity=1, unit_price=1.0, version=2)
    for _ in range(2):  # a refused line is not remembered: it is refused every time
        with pytest.raises(ValidationError, match="product_id"):
            Order.from_history(ID, [CREATED.model_copy(update={"version": 1}), blank])


def test_the_events_an_order_raises_are_validated_and_built_as_by_hand():
    order = Order.create(ADA, [ARMCHAIR_LINE], DEMO_ADDRESS, order_id=ID)
    created, armchair = order.pending_events
    by_hand = OrderItemAdded(
        order_id=ID, product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0, version=2
    )
    assert armchair == by_hand.model_copy(update={"occurred_at": armchair.occurred_at})
    assert armchair.model_fields_set == by_hand.model_fields_set
    assert created.model_fields_set == CREATED.model_fields_set | {"version"}
    unvalidated = OrderItem.model_construct(product_id="X", quantity=0, unit_price=1.0)
    with pytest.raises(ValidationError, match="OrderItemAdded\nquantity"):
        Order.create(ADA, [unvalidated], DEMO_ADDRESS)


class TestRaiseEvent:
    def test_the_aggregate_fills_in_its_id_the_next_version_and_the_time(self):
        order = Order.from_history(ID, [CREATED.model_copy(update={"version": 1})])
        shipped = order._raise_event(OrderShipped)
        assert (shipped.order_id, shipped.version, order.version) == (ID, 2, 2)
        assert shipped.occurred_at.tzinfo is not None
        assert order.pending_events == [shipped]

    def test_fields_are_validated_like_the_event_constructor(self):
        order = Order.from_history(ID, [CREATED.model_copy(update={"version": 1})])
        with pytest.raises(ValidationError, match="OrderItemAdded\nquantity"):
            order._raise_event(OrderItemAdded, product_id="X", quantity=0, unit_price=1.0)
        assert (order.version, order.pending_events) == (1, [])

    @pytest.mark.parametrize("field", ["order_id", "version"])
    def test_the_id_and_version_cannot_be_given(self, field):
        order = Order(ID)
        with pytest.raises(TypeError, match="order_id and version are stamped by Order"):
            order._raise_event(OrderCreated, **{field: ID if field == "order_id" else 1})
        assert order.version == 0
