"""The peer: the ``eventsourcing`` library's in-memory (POPO) application on our workload.

**Same facts on both sides.** Our ``CreateOrderHandler`` reserves each line's units in
that product's ``Stock`` aggregate (one append per product, in the warehouse's own event
store) before it saves the order, and ``CancelOrderHandler`` gives the units back. The
peer does the same, the library's way: a ``PeerWarehouse`` application of its own whose
``PeerStock`` aggregates record ``Reserved`` / ``Released`` events (one save per product),
and a ``PeerOrders`` application that reserves, then saves the order: created, three
items, then 5% cancelled (releasing the stock) and 10% shipped, each of those loaded from
the repository first, as our handlers do. Both sides store the same events per order
(4 order events and 3 stock events, plus a cancellation with 3 releases or a shipment), so
events/s and orders/s give the same ratio.

**Kept stock on both sides.** Our warehouse keeps each saved ``Stock`` in memory and
catches it up from its stream on the next load (``KeptAggregates``); the peer's warehouse
uses the library's own equivalent, the repository's aggregate cache
(``AGGREGATE_CACHE_MAXSIZE``): the application puts each saved aggregate in the cache and
hands it out again, not a deep copy of its ever-growing reservations
(``DEEPCOPY_FROM_AGGREGATE_CACHE=n``), and without fast-forwarding
(``AGGREGATE_CACHE_FASTFORWARD=n``: the POPO recorder finds a stream's newer events by
scanning the whole stream, and this one application is the stock's only writer). Without
the cache every order would replay each product's whole stream, and the peer would be
measured on a quadratic workload ours does not run.

``eventsourcing`` is a benchmark-only extra (``pip install cqrs_lab[bench]``); cqrs_lab
itself never imports it.
"""

from __future__ import annotations

from functools import cache
from uuid import UUID

from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.stock import stock_id_of
from cqrs_lab.orders.workloads.workload import (
    WORKLOAD_ITEMS,
    is_cancelled,
    is_shipped,
    workload_stock,
)

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

    class PeerStock(Aggregate):
        """One product's units, as our ``Stock``: on hand, reserved, and per order."""

        @staticmethod
        def create_id(product_id: str, units: int) -> UUID:
            return stock_id_of(product_id)

        @event("Added")
        def __init__(self, product_id: str, units: int) -> None:
            self.product_id = product_id
            self.on_hand = units
            self.reserved = 0
            self.reservations: dict[UUID, int] = {}

        def reserve(self, order_id: UUID, quantity: int) -> None:
            if quantity > self.on_hand - self.reserved:
                raise ValueError(f"only {self.on_hand - self.reserved} {self.product_id} free")
            self._reserved(order_id, quantity)

        @event("Reserved")
        def _reserved(self, order_id: UUID, quantity: int) -> None:
            self.reservations[order_id] = self.reservations.get(order_id, 0) + quantity
            self.reserved += quantity

        def release(self, order_id: UUID) -> None:
            held = self.reservations.get(order_id, 0)
            if held:
                self._released(order_id, held)

        @event("Released")
        def _released(self, order_id: UUID, quantity: int) -> None:
            del self.reservations[order_id]
            self.reserved -= quantity

    class PeerWarehouse(Application):
        env = {
            "AGGREGATE_CACHE_MAXSIZE": "1000",
            "AGGREGATE_CACHE_FASTFORWARD": "n",
            "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
        }

        def open(self, stock: dict[str, int]) -> None:
            for product_id, units in stock.items():
                self.save(PeerStock(product_id, units))

        def reserve(self, order_id: UUID, product_id: str, quantity: int) -> None:
            stock = self.repository.get(stock_id_of(product_id))
            stock.reserve(order_id, quantity)
            self.save(stock)

        def release(self, order_id: UUID, product_id: str) -> None:
            stock = self.repository.get(stock_id_of(product_id))
            stock.release(order_id)
            self.save(stock)

    class PeerOrders(Application):
        def __init__(self, warehouse: PeerWarehouse) -> None:
            super().__init__()
            self.warehouse = warehouse

        def create_order(self, customer_id: UUID, items, address: dict) -> UUID:
            order = PeerOrder(customer_id, address)
            wanted: dict[str, int] = {}
            for item in items:
                order.add_item(item.product_id, item.quantity, item.unit_price)
                wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
            for product_id, quantity in wanted.items():
                self.warehouse.reserve(order.id, product_id, quantity)
            self.save(order)
            return order.id

        def cancel_order(self, order_id: UUID, reason: str) -> None:
            order = self.repository.get(order_id)
            order.cancel(reason)
            self.save(order)
            for product_id in dict.fromkeys(item[0] for item in order.items):
                self.warehouse.release(order.id, product_id)

        def ship_order(self, order_id: UUID) -> None:
            order = self.repository.get(order_id)
            order.ship()
            self.save(order)

    return PeerOrders, PeerWarehouse


def stored_events(application) -> int:
    """How many events an application's recorder holds."""
    return application.recorder.max_notification_id() or 0


def run_peer_workload(orders: int, customers: list[UUID]) -> int:
    """Run ``orders`` workload orders through fresh POPO applications; returns the events
    stored for them (orders and stock, not the warehouse's opening stock)."""
    orders_app, warehouse_app = _define()
    warehouse = warehouse_app()
    warehouse.open(workload_stock())
    opening = stored_events(warehouse)
    app = orders_app(warehouse)
    address = DEMO_ADDRESS.model_dump()
    for n in range(orders):
        order_id = app.create_order(customers[n % len(customers)], WORKLOAD_ITEMS, address)
        if is_cancelled(n):
            app.cancel_order(order_id, "workload")
        elif is_shipped(n):
            app.ship_order(order_id)
    return stored_events(app) + stored_events(warehouse) - opening
