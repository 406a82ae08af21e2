"""The order domain's read models: ``order_summary`` and ``customer_stats``.

One stream of order events, two shapes: one row per order, one row per customer.
"""

from __future__ import annotations

from uuid import UUID

import duckdb

from cqrs_lab.event_store import RecordedEvent
from cqrs_lab.messages import DomainEvent
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.orders.services import CustomerService
from cqrs_lab.orders.values import OrderStatus
from cqrs_lab.projection import (
    Projection,
    ProjectionError,
    Row,
    RowProjection,
    Table,
    no_gc_pauses,
)

_PENDING, _CANCELLED, _SHIPPED = (s.value for s in OrderStatus)


def _touched(batch: list[RecordedEvent]) -> list[UUID]:
    """Every order the batch touches, once each (deduplicated by ``id.int``, which
    hashes in C; ``UUID.__hash__`` is Python code)."""
    return list({(order_id := r.event.order_id).int: order_id for r in batch}.values())


def _types_of(batch: list[RecordedEvent], base: type) -> set[type]:
    """The event types in ``batch`` that are ``base`` or a subclass, so the fold can test
    ``type(event) in ...`` (a set lookup) instead of ``isinstance`` on every event."""
    return {kind for kind in {type(r.event) for r in batch} if issubclass(kind, base)}


class OrderProjection(RowProjection):
    """``order_summary``: the seed's denormalized order view, one row per order.

    ``customer_name`` is copied from the customer service when the order is created, so a
    query never has to join or call another service.
    """

    name = "order_summary"
    tables = (
        Table(
            "order_summary",
            key="id",
            columns={
                "id": "UUID",
                "customer_id": "UUID",
                "customer_name": "VARCHAR",
                "status": "VARCHAR",
                "total_amount": "DOUBLE",
                "item_count": "INTEGER",
                "created_at": "TIMESTAMP",
                "version": "INTEGER",
            },
        ),
    )
    handles = (OrderCreated, OrderItemAdded, OrderCancelled, OrderShipped)

    def __init__(self, customer_service: CustomerService) -> None:
        self.customers = customer_service

    def key_of(self, event: DomainEvent) -> UUID:
        return event.order_id

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        with no_gc_pauses():
            self._apply_batch(con, batch)

    def _apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        """The generic batch (one SELECT, fold, one upsert), with rows keyed by ``id.int``.

        ``UUID.__hash__`` is Python code and a replay hashes every event's order id
        several times; a 128-bit int hashes in C. Item events (3 in 4) are folded inline,
        unless a subclass overrides ``apply`` (then every event goes through it).
        """
        rows = {key.int: row for key, row in self.table.fetch(con, _touched(batch)).items()}
        get = rows.get
        inline_items = OrderItemAdded if type(self).apply is OrderProjection.apply else None
        for recorded in batch:
            event = recorded.event
            key = event.order_id.int
            if type(event) is inline_items and (row := get(key)) is not None:
                row["total_amount"] += event.quantity * event.unit_price
                row["item_count"] += 1
                row["version"] = event.version
                continue
            try:
                rows[key] = self.apply(get(key), event)
            except (LookupError, ValueError) as error:
                raise ProjectionError(self.name, recorded, str(error)) from error
        self.table.upsert(con, rows.values())

    def apply(self, row: Row | None, event: DomainEvent) -> Row:
        if isinstance(event, OrderCreated):
            if row is not None:
                raise ValueError(f"order {event.order_id} was already created")
            return {
                "id": event.order_id,
                "customer_id": event.customer_id,
                "customer_name": self.customers.name_of(event.customer_id),
                "status": _PENDING,
                "total_amount": 0.0,
                "item_count": 0,
                "created_at": event.occurred_at,
                "version": event.version,
            }
        if row is None:
            # The seed's bug 1: its items came before OrderCreated and were silently lost.
            raise LookupError(f"order {event.order_id} has no OrderCreated before this event")
        if isinstance(event, OrderItemAdded):
            row["total_amount"] += event.quantity * event.unit_price
            row["item_count"] += 1
        elif isinstance(event, OrderCancelled):
            row["status"] = _CANCELLED
        elif isinstance(event, OrderShipped):
            row["status"] = _SHIPPED
        row["version"] = event.version
        return row


class CustomerStatsProjection(Projection):
    """``customer_stats``: orders, cancelled orders and money spent, per customer.

    Item and cancel events name only the order, so the projection keeps a private
    lookup table, ``customer_stats_orders`` (order -> customer, amount, cancelled), to
    know whose totals to change. Cancelled orders do not count as spent.
    """

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

    def apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        with no_gc_pauses():
            self._apply_batch(con, batch)

    def _apply_batch(self, con: duckdb.DuckDBPyConnection, batch: list[RecordedEvent]) -> None:
        # Load every order and customer row the batch touches: one SELECT per table. Rows
        # are keyed by the ids' 128-bit ints, which hash in C (``UUID.__hash__`` does not).
        orders = {k.int: row for k, row in self.orders.fetch(con, _touched(batch)).items()}
        customer_ids = {(c := o["customer_id"]).int: c for o in orders.values()}
        created = _types_of(batch, OrderCreated)
        for recorded in batch:
            if type(event := recorded.event) in created:
                customer_ids[event.customer_id.int] = event.customer_id
        customers = self.stats.fetch(con, customer_ids.values())
        customers = {k.int: row for k, row in customers.items()}
        self._fold(orders, customers, batch)
        self.orders.upsert(con, orders.values())
        self.stats.upsert(con, customers.values())

    def _fold(self, orders: dict, customers: dict, batch: list[RecordedEvent]) -> None:
        """Apply the batch in order; item events (3 in 4) take an inline fast path."""
        get = orders.get
        for recorded in batch:
            event = recorded.event
            if type(event) is OrderItemAdded and (order := get(event.order_id.int)) is not None:
                amount = event.quantity * event.unit_price
                order["amount"] += amount
                if not order["cancelled"]:
                    customers[order["customer_id"].int]["total_spent"] += amount
                continue
            try:
                self._apply(orders, customers, event)
            except (LookupError, ValueError) as error:
                raise ProjectionError(self.name, recorded, str(error)) from error

    def _apply(self, orders: dict, customers: dict, event: DomainEvent) -> None:
        if isinstance(event, OrderCreated):
            orders[event.order_id.int] = {
                "order_id": event.order_id,
                "customer_id": event.customer_id,
                "amount": 0.0,
                "cancelled": False,
            }
            customer = customers.get(event.customer_id.int)
            if customer is None:
                customer = self._new_customer(event.customer_id)
                customers[event.customer_id.int] = customer
            customer["order_count"] += 1
            return
        order = orders.get(event.order_id.int)
        if order is None:
            raise LookupError(f"order {event.order_id} has no OrderCreated before this event")
        customer = customers[order["customer_id"].int]
        if isinstance(event, OrderItemAdded):
            amount = event.quantity * event.unit_price
            order["amount"] += amount
            if not order["cancelled"]:
                customer["total_spent"] += amount
        elif isinstance(event, OrderCancelled) and not order["cancelled"]:
            order["cancelled"] = True
            customer["cancelled_count"] += 1
            customer["total_spent"] -= order["amount"]

    def _new_customer(self, customer_id: UUID) -> Row:
        return {
            "customer_id": customer_id,
            "customer_name": self.customers.name_of(customer_id),
            "order_count": 0,
            "cancelled_count": 0,
            "total_spent": 0.0,
        }
