"""``product_sales``: units and revenue per product, a third shape of the same events.

``order_summary`` is one row per order, ``customer_stats`` one per customer; this is one
per product, the read model a merchandiser asks for ("what sells?"). Cancelled orders do
not count. ``OrderCancelled`` names only the order, so, like ``customer_stats``, the
projection keeps a private table of each order's lines (``product_sales_orders``) to
know what to take back.
"""

from __future__ import annotations

import json

import duckdb
from pydantic import BaseModel, ConfigDict

from cqrs_lab.messaging.messages import DomainEvent, Query
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded
from cqrs_lab.read_side.projection import Projection, ProjectionError, Row, Table
from cqrs_lab.read_side.read_db import ReadOnlyConnection
from cqrs_lab.write_side.event_store import RecordedEvent


class ProductSalesProjection(Projection):
    """``product_sales``: per product, units sold, revenue and orders, cancellations excluded."""

    name = "product_sales"
    sales = Table(
        "product_sales",
        key="product_id",
        columns={
            "product_id": "VARCHAR",
            "units_sold": "INTEGER",
            "revenue": "DOUBLE",
            "order_count": "INTEGER",
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

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        # Load the orders, then the products, the batch touches: one SELECT per table.
        orders = self.orders.fetch(con, {r.event.order_id for r in batch})
        for order in orders.values():
            order["lines"] = json.loads(order["lines"])
        products = {r.event.product_id for r in batch if isinstance(r.event, OrderItemAdded)}
        products |= {p for order in orders.values() for p in order["lines"]}
        sales = self.sales.fetch(con, products)
        for recorded in batch:
            try:
                self._apply(orders, sales, recorded.event)
            except (LookupError, ValueError) as error:
                raise ProjectionError(self.name, recorded, str(error)) from error
        self.orders.upsert(con, [{**o, "lines": json.dumps(o["lines"])} for o in orders.values()])
        self.sales.upsert(con, sales.values())

    def _apply(self, orders: dict, sales: dict, event: DomainEvent) -> None:
        if isinstance(event, OrderCreated):
            if event.order_id in orders:
                raise ValueError(f"order {event.order_id} was already created")
            orders[event.order_id] = {"order_id": event.order_id, "lines": {}, "cancelled": False}
            return
        order = orders.get(event.order_id)
        if order is None:
            raise LookupError(f"order {event.order_id} has no OrderCreated before this event")
        if isinstance(event, OrderItemAdded):
            units, revenue = order["lines"].get(event.product_id, (0, 0.0))
            first_line = units == 0
            amount = event.quantity * event.unit_price
            order["lines"][event.product_id] = (units + event.quantity, revenue + amount)
            if not order["cancelled"]:
                self._add(sales, event.product_id, event.quantity, amount, int(first_line))
        elif isinstance(event, OrderCancelled) and not order["cancelled"]:
            order["cancelled"] = True
            for product_id, (units, revenue) in order["lines"].items():
                self._add(sales, product_id, -units, -revenue, -1)

    @staticmethod
    def _add(sales: dict, product_id: str, units: int, revenue: float, orders: int) -> None:
        row: Row = sales.setdefault(
            product_id,
            {"product_id": product_id, "units_sold": 0, "revenue": 0.0, "order_count": 0},
        )
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
        cursor = self.db.execute(
            "SELECT * FROM product_sales WHERE product_id = ?", [query.product_id]
        )
        row = cursor.fetchone()
        names = [d[0] for d in cursor.description]
        return ProductSalesView(**dict(zip(names, row))) if row else None
