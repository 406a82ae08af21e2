"""A standard-workload history built fast: events appended straight to the event store.

Dispatching 250,000 orders through the command bus is the write-path benchmark itself;
the rebuild and memory benchmarks only need the *history* it would leave behind. This
builds the same events (same order of types, versions, amounts, customers, cancellations
and shipments as ``run_workload``), validated by pydantic as usual, but skips the bus,
handlers and aggregate replay.
"""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.orders import OrderCancelled, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.workloads.workload import WORKLOAD_ITEMS, is_cancelled, is_shipped


def events_per_order(n: int) -> int:
    """How many events order ``n`` of the workload produces (4, or 5 if cancelled/shipped)."""
    return 4 + (is_cancelled(n) or is_shipped(n))


def orders_for(events: int) -> int:
    """The fewest workload orders whose history holds at least ``events`` events."""
    orders = total = 0
    while total < events:
        total += events_per_order(orders)
        orders += 1
    return orders


def append_workload_history(lab, orders: int) -> list[UUID]:
    """Append the events of ``orders`` workload orders to ``lab.event_store``; returns ids."""
    store, customers = lab.event_store, list(lab.catalogue.customers)
    order_ids = []
    for n in range(orders):
        order_id = lab.ids.new_id()
        events = [
            OrderCreated(
                order_id=order_id,
                customer_id=customers[n % len(customers)],
                shipping_address=DEMO_ADDRESS,
                version=1,
            )
        ]
        events += [
            OrderItemAdded(
                order_id=order_id,
                product_id=item.product_id,
                quantity=item.quantity,
                unit_price=item.unit_price,
                version=version,
            )
            for version, item in enumerate(WORKLOAD_ITEMS, start=2)
        ]
        if is_cancelled(n):
            events.append(OrderCancelled(order_id=order_id, reason="workload", version=5))
        elif is_shipped(n):
            events.append(OrderShipped(order_id=order_id, version=5))
        store.append(order_id, events, expected_version=0)
        order_ids.append(order_id)
    return order_ids
