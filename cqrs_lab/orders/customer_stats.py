"""``customer_stats``: orders, cancelled orders and money spent, per customer.

Item and cancel events name only the order, so the projection keeps a lookup table of
its own, ``customer_stats_orders`` (order -> customer, amount, cancelled), to know whose
totals to change. Cancelled orders do not count as spent. The base class,
:class:`TablesProjection`, loads the rows each event names (by field name: ``order_id``,
``customer_id``), folds the batch and writes both tables; an event for an order that has
no row (no ``OrderCreated`` before it) fails with the name of the missing row.
"""

from __future__ import annotations

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded
from cqrs_lab.orders.services import CustomerService
from cqrs_lab.read_side.projection import Table, TableRows, TablesProjection


class CustomerStatsProjection(TablesProjection):
    """Projects order events into ``customer_stats`` (and its lookup table)."""

    name = "customer_stats"
    stats = Table(
        "customer_stats",
        key="customer_id",
        columns={
            "customer_id": "UUID",
            "customer_name": "VARCHAR",
            "order_count": "INTEGER",
            "cancelled_count": "INTEGER",
            "total_spent": "DOUBLE",
        },
    )
    orders = Table(
        "customer_stats_orders",
        key="order_id",
        columns={
            "order_id": "UUID",
            "customer_id": "UUID",
            "amount": "DOUBLE",
            "cancelled": "BOOLEAN",
        },
    )
    tables = (stats, orders)
    handles = (OrderCreated, OrderItemAdded, OrderCancelled)

    def __init__(self, customer_service: CustomerService) -> None:
        self.customers = customer_service

    def apply(self, rows: dict[str, TableRows], event: DomainEvent) -> None:
        orders, customers = rows["customer_stats_orders"], rows["customer_stats"]
        match event:
            case OrderCreated():
                if event.order_id in orders:
                    raise ValueError(f"order {event.order_id} was already created")
                orders[event.order_id] = {
                    "order_id": event.order_id,
                    "customer_id": event.customer_id,
                    "amount": 0.0,
                    "cancelled": False,
                }
                if event.customer_id not in customers:
                    customers[event.customer_id] = {
                        "customer_id": event.customer_id,
                        "customer_name": self.customers.name_of(event.customer_id),
                        "order_count": 0,
                        "cancelled_count": 0,
                        "total_spent": 0.0,
                    }
                customers[event.customer_id]["order_count"] += 1
            case OrderItemAdded():
                order = orders[event.order_id]
                amount = event.quantity * event.unit_price
                order["amount"] += amount
                if not order["cancelled"]:
                    customers[order["customer_id"]]["total_spent"] += amount
            case OrderCancelled() if not orders[event.order_id]["cancelled"]:
                order = orders[event.order_id]
                order["cancelled"] = True
                customer = customers[order["customer_id"]]
                customer["cancelled_count"] += 1
                customer["total_spent"] -= order["amount"]
