"""``product_sales``: units and revenue per product, a third shape of the same events.

``order_summary`` is one row per order, ``customer_stats`` one per customer; this is one
per product, the read model a merchandiser asks for ("what sells?"). Cancelled orders do
not count. ``OrderCancelled`` names only the order, so, like ``customer_stats``, the
projection keeps a private table of each order's lines (``product_sales_orders``) to
know what to take back.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict

from cqrs_lab.messaging.messages import DomainEvent, Query
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded
from cqrs_lab.read_side.projection import Table, TableRows, TablesProjection
from cqrs_lab.read_side.read_db import ReadOnlyConnection
from cqrs_lab.read_side.records import first_record


class ProductSalesProjection(TablesProjection):
    """``product_sales``: per product, units sold, revenue and orders, cancellations excluded."""

    name = "product_sales"
    sales = Table(
        "product_sales",
        key="product_id",
        columns={
            "product_id": "VARCHAR",
            # Sums over every order: BIGINT, since 2,148 orders of 100 lines of 10,000 units
            # already pass what an INTEGER holds (2,147,483,647).
            "units_sold": "BIGINT",
            "revenue": "DOUBLE",
            "order_count": "BIGINT",
        },
    )
    orders = Table(
        "product_sales_orders",
        key="order_id",
        columns={
            "order_id": "UUID",
            "lines": "VARCHAR",  # JSON: {product_id: [units, revenue]}
            "cancelled": "BOOLEAN",
        },
    )
    tables = (sales, orders)
    handles = (OrderCreated, OrderItemAdded, OrderCancelled)

    def apply(self, rows: dict[str, TableRows], event: DomainEvent) -> None:
        orders, sales = rows["product_sales_orders"], rows["product_sales"]
        match event:
            case OrderCreated():
                if event.order_id in orders:
                    raise ValueError(f"order {event.order_id} was already created")
                orders[event.order_id] = {
                    "order_id": event.order_id,
                    "lines": "{}",
                    "cancelled": False,
                }
            case OrderItemAdded():
                order = orders[event.order_id]
                lines = json.loads(order["lines"])
                units, revenue = lines.get(event.product_id, (0, 0.0))
                amount = event.quantity * event.unit_price
                lines[event.product_id] = (units + event.quantity, revenue + amount)
                order["lines"] = json.dumps(lines)
                if not order["cancelled"]:
                    first_line = units == 0
                    _add(sales, event.product_id, event.quantity, amount, int(first_line))
            case OrderCancelled() if not orders[event.order_id]["cancelled"]:
                order = orders[event.order_id]
                order["cancelled"] = True
                for product_id, (units, revenue) in json.loads(order["lines"]).items():
                    _add(sales, product_id, -units, -revenue, -1)


def _add(sales: TableRows, product_id: str, units: int, revenue: float, orders: int) -> None:
    """Add to a product's row, starting it at zero if the product has not sold yet."""
    if product_id not in sales:
        sales[product_id] = {
            "product_id": product_id,
            "units_sold": 0,
            "revenue": 0.0,
            "order_count": 0,
        }
    row = sales[product_id]
    row["units_sold"] += units
    row["revenue"] += revenue
    row["order_count"] += orders


class GetProductSales(Query):
    """One product's sales from ``product_sales``, or None if it has sold nothing (yet)."""

    product_id: str


class ProductSalesView(BaseModel):
    """A row of ``product_sales``."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    units_sold: int
    revenue: float
    order_count: int


class GetProductSalesHandler:
    """Answers :class:`GetProductSales` from ``product_sales``."""

    def __init__(self, read_db: ReadOnlyConnection) -> None:
        self.db = read_db

    async def handle(self, query: GetProductSales) -> ProductSalesView | None:
        row = first_record(
            self.db.execute("SELECT * FROM product_sales WHERE product_id = ?", [query.product_id])
        )
        return None if row is None else ProductSalesView(**row)
