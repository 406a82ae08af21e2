"""The same order feature without CQRS: one DuckDB table, changed in place.

The seed lists "Simple CRUD applications" first under "When NOT to Use". This is that
application, for notebook 06 to set beside the lab: place an order, cancel it, read its
total. One table, one connection, an UPDATE per change. It reads its own writes at once,
and it forgets: the table holds only the latest state of each order.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from uuid import UUID

import duckdb
import pandas as pd

from cqrs_lab.messaging.command_bus import CommandBus
from cqrs_lab.messaging.query_bus import QueryBus
from cqrs_lab.orders.commands import CancelOrder, CreateOrder
from cqrs_lab.orders.errors import (
    InsufficientInventoryError,
    InvalidOperationError,
    OrderNotFoundError,
    UnknownCustomerError,
    UnknownProductError,
)
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderEvent, OrderItemAdded
from cqrs_lab.orders.handlers import (
    CancelOrderHandler,
    CreateOrderHandler,
    ExistingOrderHandler,
)
from cqrs_lab.orders.order import Order
from cqrs_lab.orders.order_summary import OrderProjection
from cqrs_lab.orders.queries import GetOrderById, GetOrderByIdHandler, OrderView
from cqrs_lab.orders.values import OrderItem, OrderStatus
from cqrs_lab.read_side.columns import naive_utc
from cqrs_lab.read_side.projection import Projection, RowProjection, Table
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.read_side.records import first_record
from cqrs_lab.time_and_ids.clock import Clock, SimulatedClock
from cqrs_lab.time_and_ids.ids import IdSource, SeededIds
from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.repository import EventSourcedRepository

_SCHEMA = """
CREATE TABLE orders (
    id UUID PRIMARY KEY, customer_id UUID, customer_name VARCHAR, status VARCHAR,
    total_amount DOUBLE, item_count INTEGER, cancel_reason VARCHAR, created_at TIMESTAMP
)"""


class CrudOrders:
    """Orders as plain CRUD on one DuckDB table: same rules, same errors, no events.

    Raises (from its methods): UnknownCustomerError, UnknownProductError,
    InsufficientInventoryError, OrderNotFoundError, InvalidOperationError.
    """

    def __init__(
        self,
        customers: Mapping[UUID, str],
        stock: Mapping[str, int],
        *,
        seed: int = 42,
        clock: Clock | None = None,
        ids: IdSource | None = None,
    ) -> None:
        self.customers = dict(customers)
        self.stock = dict(stock)
        self.clock = clock or SimulatedClock()
        self.ids = ids or SeededIds(seed)
        self.db = duckdb.connect(":memory:")
        self.db.execute(_SCHEMA)

    def place_order(self, customer_id: UUID, items: Iterable[OrderItem]) -> UUID:
        """Check customer and stock, then INSERT one row; returns the new order's id."""
        items = list(items)
        if customer_id not in self.customers:
            raise UnknownCustomerError(customer_id)
        if not items:
            raise InvalidOperationError("an order needs at least one item")
        for item in items:
            if item.product_id not in self.stock:
                raise UnknownProductError(item.product_id)
            if self.stock[item.product_id] < item.quantity:
                raise InsufficientInventoryError(
                    item.product_id, item.quantity, self.stock[item.product_id]
                )
        order_id = self.ids.new_id()
        self.db.execute(
            "INSERT INTO orders VALUES (?, ?, ?, 'pending', ?, ?, NULL, ?)",
            [
                order_id,
                customer_id,
                self.customers[customer_id],
                sum(item.quantity * item.unit_price for item in items),
                len(items),
                naive_utc(self.clock.now()),
            ],
        )
        return order_id

    def cancel_order(self, order_id: UUID, reason: str) -> None:
        """UPDATE the row's status in place: the previous status is gone afterwards."""
        status = self._status(order_id)
        if status != OrderStatus.PENDING:
            raise InvalidOperationError(f"Cannot cancel {status} order {order_id}")
        self.db.execute(
            "UPDATE orders SET status = 'cancelled', cancel_reason = ? WHERE id = ?",
            [reason, order_id],
        )

    def order_total(self, order_id: UUID) -> float:
        """The order's total, read straight from the table it was written to."""
        self._status(order_id)
        return self.db.execute(
            "SELECT total_amount FROM orders WHERE id = ?", [order_id]
        ).fetchone()[0]

    def order(self, order_id: UUID) -> dict | None:
        """The order's one row as a dict, or None."""
        return first_record(self.db.execute("SELECT * FROM orders WHERE id = ?", [order_id]))

    def table(self) -> pd.DataFrame:
        """The whole ``orders`` table, oldest first."""
        return self.db.execute("SELECT * FROM orders ORDER BY created_at, id").df()

    def _status(self, order_id: UUID) -> str:
        row = self.db.execute("SELECT status FROM orders WHERE id = ?", [order_id]).fetchone()
        if row is None:
            raise OrderNotFoundError(Order, order_id)
        return row[0]


def code_size() -> pd.DataFrame:
    """Source lines of each part of the feature, CRUD against CQRS (via ``inspect``).

    Columns: ``side`` (``"CRUD"``/``"CQRS"``), ``kind`` (``"feature"``: code written for
    orders; ``"machinery"``: the domain-free CQRS parts a project writes or adopts once),
    ``part`` and ``lines``. The CQRS ``Order`` also ships orders, so its count is a bit
    generous; the wiring (``build_lab``) is left out of both sides.
    """
    parts = [("CRUD", "feature", CrudOrders)]
    feature = [CreateOrder, CancelOrder, OrderEvent, OrderCreated, OrderItemAdded, OrderCancelled]
    feature += [Order, CreateOrderHandler, ExistingOrderHandler, CancelOrderHandler]
    feature += [OrderProjection]
    feature += [GetOrderById, OrderView, GetOrderByIdHandler]
    parts += [("CQRS", "feature", part) for part in feature]
    machinery = [CommandBus, QueryBus, Aggregate, EventSourcedRepository, InMemoryEventStore]
    machinery += [Table, Projection, RowProjection, Projector]
    parts += [("CQRS", "machinery", part) for part in machinery]
    rows = [
        (side, kind, part.__name__, len(inspect.getsource(part).splitlines()))
        for side, kind, part in parts
    ]
    return pd.DataFrame(rows, columns=["side", "kind", "part", "lines"])
