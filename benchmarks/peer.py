"""The peer: the ``eventsourcing`` library's in-memory (POPO) application on our workload.

An ``Application`` saving an ``Aggregate`` whose ``@event`` methods record the same facts
as ours: created, three items, then 5% cancelled and 10% shipped (each of those loaded
from the repository first, as our handlers do). ``eventsourcing`` is a benchmark-only
extra (``pip install cqrs_lab[bench]``); cqrs_lab itself never imports it.
"""

from __future__ import annotations

from functools import cache
from uuid import UUID

from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.workloads.workload import WORKLOAD_ITEMS, is_cancelled, is_shipped

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # pragma: no cover - depends on the bench extra
    Application = None


def available() -> bool:
    """Whether the ``eventsourcing`` library is installed."""
    return Application is not None


@cache
def _define():
    """The peer's classes, defined once (the library registers each class by topic)."""

    class PeerOrder(Aggregate):
        @event("Created")
        def __init__(self, customer_id: UUID, shipping_address: dict) -> None:
            self.customer_id = customer_id
            self.shipping_address = shipping_address
            self.items: list[tuple[str, int, float]] = []
            self.status = "pending"

        @event("ItemAdded")
        def add_item(self, product_id: str, quantity: int, unit_price: float) -> None:
            self.items.append((product_id, quantity, unit_price))

        @event("Cancelled")
        def cancel(self, reason: str) -> None:
            self.status = "cancelled"

        @event("Shipped")
        def ship(self) -> None:
            self.status = "shipped"

    class PeerOrders(Application):
        def create_order(self, customer_id: UUID, items, address: dict) -> UUID:
            order = PeerOrder(customer_id, address)
            for item in items:
                order.add_item(item.product_id, item.quantity, item.unit_price)
            self.save(order)
            return order.id

        def cancel_order(self, order_id: UUID, reason: str) -> None:
            order = self.repository.get(order_id)
            order.cancel(reason)
            self.save(order)

        def ship_order(self, order_id: UUID) -> None:
            order = self.repository.get(order_id)
            order.ship()
            self.save(order)

    return PeerOrders


def run_peer_workload(orders: int, customers: list[UUID]) -> int:
    """Run ``orders`` workload orders through a fresh POPO application; returns events."""
    app = _define()()
    address = DEMO_ADDRESS.model_dump()
    events = 0
    for n in range(orders):
        order_id = app.create_order(customers[n % len(customers)], WORKLOAD_ITEMS, address)
        events += 1 + len(WORKLOAD_ITEMS)
        if is_cancelled(n):
            app.cancel_order(order_id, "workload")
            events += 1
        elif is_shipped(n):
            app.ship_order(order_id)
            events += 1
    return events
