"""The dual write loses an event; the transactional outbox does not, and repeats are dropped."""

import duckdb
import pytest

from cqrs_lab import InjectedCrash, Projector
from cqrs_lab.messaging.outbox import Broker, Relay
from cqrs_lab.orders import (
    ADA,
    DEMO_CUSTOMERS,
    DEMO_STOCK,
    GRACE,
    CustomerService,
    InsufficientInventoryError,
    OrderItem,
    OrderProjection,
)
from cqrs_lab.orders.outbox_orders import DualWriteOrders, OutboxOrders

ARMCHAIR = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)


def summary_of(source):
    projector = Projector(
        source, duckdb.connect(), projections=[OrderProjection(CustomerService(DEMO_CUSTOMERS))]
    )
    projector.catch_up()
    rows = projector.connection.execute(
        "SELECT customer_name, total_amount FROM order_summary ORDER BY 1"
    )
    return rows.fetchall(), projector


def test_a_crash_between_save_and_publish_loses_the_event_for_good():
    broker = Broker()
    orders = DualWriteOrders(DEMO_CUSTOMERS, DEMO_STOCK, broker=broker)
    orders.place_order(ADA, [ARMCHAIR])
    orders.crash_between = 1
    with pytest.raises(InjectedCrash, match="between save and publish"):
        orders.place_order(GRACE, [ARMCHAIR])
    assert len(orders.table()) == 2  # saved...
    rows, _ = summary_of(broker)
    assert rows == [("Ada Lovelace", 249.0)]  # ...but Grace's order is never shown


def test_the_outbox_publishes_every_saved_order_and_the_repeat_is_dropped_downstream():
    orders = OutboxOrders(DEMO_CUSTOMERS, DEMO_STOCK)
    broker = Broker()
    relay = Relay(orders.outbox, broker, crash_after_publish=1)
    orders.place_order(ADA, [ARMCHAIR])
    orders.place_order(GRACE, [ARMCHAIR])
    with pytest.raises(InjectedCrash, match="between publish and mark"):
        relay.run()
    assert relay.run() == 4  # position 1 again, then the rest
    assert [r.position for r in broker.deliveries] == [1, 1, 2, 3, 4]
    rows, projector = summary_of(broker)
    assert rows == [("Ada Lovelace", 249.0), ("Grace Hopper", 249.0)]
    assert [i.kind for i in projector.incidents] == ["duplicate"]
    assert orders.outbox.unpublished() == []


def test_a_refused_order_leaves_neither_row_nor_event():
    orders = OutboxOrders(DEMO_CUSTOMERS, {"CRUNCHY-ARMCHAIR": 0})
    with pytest.raises(InsufficientInventoryError):
        orders.place_order(ADA, [ARMCHAIR])
    assert len(orders.table()) == 0 and orders.outbox.unpublished() == []


def test_a_failing_outbox_write_rolls_the_row_back_too():
    orders = OutboxOrders(DEMO_CUSTOMERS, DEMO_STOCK)

    def broken(events, at):
        raise RuntimeError("disk full")

    orders.outbox.add = broken
    with pytest.raises(RuntimeError):
        orders.place_order(ADA, [ARMCHAIR])
    assert len(orders.table()) == 0
