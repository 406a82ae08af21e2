"""The order domain's read models: ``order_summary`` and ``customer_stats``.

One stream of order events, two shapes: one row per order, one row per customer.
"""

from __future__ import annotations

from uuid import UUID

import duckdb

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.orders.services import CustomerService
from cqrs_lab.orders.values import OrderStatus
from cqrs_lab.read_side.projection import (
    Projection,
    ProjectionError,
    Row,
    RowProjection,
    Table,
    no_gc_pauses,
)
from cqrs_lab.write_side.event_store import RecordedEvent

_PENDING, _CANCELLED, _SHIPPED = (s.value for s in OrderStatus)


def _orders_to_load(batch: list[RecordedEvent]) -> list[UUID]:
    """The orders the batch touches before (or without) creating them: the rows to load.

    An order whose ``OrderCreated`` comes first in the batch is new, so there is nothing
    to load for it; on a catch-up that is nearly every order, and the SELECT shrinks to
    the few orders that straddle two batches. (Should an order be created twice, the new
    row's INSERT hits the table's primary key: see :func:`_already_created`.) Orders are
    keyed by ``id.int``, which hashes in C; ``UUID.__hash__`` is Python code.
    """
    new: set[int] = set()
    wanted: dict[int, UUID] = {}
    for recorded in batch:
        event = recorded.event
        key = (order_id := event.order_id).int
        if _is_creation[type(event)]:
            new.add(key)
        elif key not in new:
            wanted[key] = order_id
    return list(wanted.values())


class _IsSubclass(dict[type, bool]):
    """``is_creation[type(event)]``: is this event type ``base`` or a subclass of it?

    A dict filled the first time each type is met, so a fold pays one C-level dict lookup
    per event instead of an ``isinstance`` call (or a pass over the batch to find types).
    """

    def __init__(self, base: type) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, kind: type) -> bool:
        self[kind] = answer = issubclass(kind, self.base)
        return answer


_is_creation = _IsSubclass(OrderCreated)


def _insert_new(
    projection: Projection,
    con: duckdb.DuckDBPyConnection,
    table: Table,
    rows: dict[int, Row],
    loaded: set[int],
    batch: list[RecordedEvent],
) -> None:
    """Write a batch's rows: ``loaded`` ones replace their old rows, the rest are INSERTed.

    A plain INSERT is cheaper than an upsert, and it turns a second ``OrderCreated`` for
    an order stored by an earlier batch into a primary-key error instead of a silent
    reset of the row; that error is reported as the ``ProjectionError`` it is.
    """
    if loaded:
        table.upsert(con, [rows[key] for key in loaded])
        new = [row for key, row in rows.items() if key not in loaded]
    else:
        new = rows.values()
    try:
        table.insert(con, new)
    except duckdb.ConstraintException as error:
        raise _already_created(projection, batch, str(error)) from error


def _already_created(
    projection: Projection, batch: list[RecordedEvent], message: str
) -> ProjectionError:
    """The error for an ``OrderCreated`` whose order a read model holds already.

    DuckDB names the duplicate key in its message; the event is the batch's
    ``OrderCreated`` for that order (the first one, if the message names none).
    """
    creations = [r for r in batch if isinstance(r.event, OrderCreated)]
    named = (r for r in creations if str(r.event.order_id) in message)
    culprit = next(named, creations[0] if creations else batch[0])
    return ProjectionError(
        projection.name, culprit, f"order {culprit.event.order_id} was already created"
    )


def _new_order_row(event: OrderCreated, customer_name: str) -> Row:
    """The ``order_summary`` row an ``OrderCreated`` starts."""
    return {
        "id": event.order_id,
        "customer_id": event.customer_id,
        "customer_name": customer_name,
        "status": _PENDING,
        "total_amount": 0.0,
        "item_count": 0,
        "created_at": event.occurred_at,
        "version": event.version,
    }


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
        """The generic batch (load, fold, write), with three shortcuts for a big catch-up.

        Only orders the batch does not create are loaded (:func:`_orders_to_load`); rows
        are keyed by ``id.int``; and creations and item events (4 in 5) are folded
        inline, with each customer's name looked up once per batch. A subclass that
        overrides ``apply`` gets the plain :class:`RowProjection` batch instead, so its
        ``apply`` sees every event.
        """
        if type(self).apply is not OrderProjection.apply:
            RowProjection.apply_batch(self, con, batch)
            return
        rows = {k.int: row for k, row in self.table.fetch(con, _orders_to_load(batch)).items()}
        loaded = set(rows)
        names: dict[int, str] = {}
        get = rows.get
        for recorded in batch:
            event = recorded.event
            key = event.order_id.int
            kind = type(event)
            if kind is OrderItemAdded and (row := get(key)) is not None:
                row["total_amount"] += event.quantity * event.unit_price
                row["item_count"] += 1
                row["version"] = event.version
                continue
            if _is_creation[kind] and key not in rows:
                customer_id = event.customer_id
                name = names.get(customer_id.int)
                if name is None:
                    name = names[customer_id.int] = self._name_of(customer_id, recorded)
                rows[key] = _new_order_row(event, name)
                continue
            try:
                rows[key] = self.apply(get(key), event)
            except (LookupError, ValueError) as error:
                raise ProjectionError(self.name, recorded, str(error)) from error
        _insert_new(self, con, self.table, rows, loaded, batch)

    def _name_of(self, customer_id: UUID, recorded: RecordedEvent) -> str:
        try:
            return self.customers.name_of(customer_id)
        except LookupError as error:
            raise ProjectionError(self.name, recorded, str(error)) from error

    def apply(self, row: Row | None, event: DomainEvent) -> Row:
        if isinstance(event, OrderCreated):
            if row is not None:
                raise ValueError(f"order {event.order_id} was already created")
            return _new_order_row(event, self.customers.name_of(event.customer_id))
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
        # Load the orders the batch does not create, then every customer it touches: one
        # SELECT per table. Rows are keyed by the ids' 128-bit ints, which hash in C.
        orders = self.orders.fetch(con, _orders_to_load(batch))
        orders = {k.int: row for k, row in orders.items()}
        loaded = set(orders)
        customer_ids = {(c := o["customer_id"]).int: c for o in orders.values()}
        for recorded in batch:
            if _is_creation[type(event := recorded.event)]:
                customer_ids[event.customer_id.int] = event.customer_id
        customers = self.stats.fetch(con, customer_ids.values())
        customers = {k.int: row for k, row in customers.items()}
        self._fold(orders, customers, batch)
        _insert_new(self, con, self.orders, orders, loaded, batch)
        self.stats.upsert(con, customers.values())

    def _fold(self, orders: dict, customers: dict, batch: list[RecordedEvent]) -> None:
        """Apply the batch in order; item events and new orders take inline fast paths."""
        get = orders.get
        for recorded in batch:
            event = recorded.event
            kind = type(event)
            if kind is OrderItemAdded and (order := get(event.order_id.int)) is not None:
                amount = event.quantity * event.unit_price
                order["amount"] += amount
                if not order["cancelled"]:
                    customers[order["customer_id"].int]["total_spent"] += amount
                continue
            try:
                if _is_creation[kind] and event.order_id.int not in orders:
                    self._open(orders, customers, event)
                else:
                    self._apply(orders, customers, event)
            except (LookupError, ValueError) as error:
                raise ProjectionError(self.name, recorded, str(error)) from error

    def _apply(self, orders: dict, customers: dict, event: DomainEvent) -> None:
        if isinstance(event, OrderCreated):
            if event.order_id.int in orders:
                raise ValueError(f"order {event.order_id} was already created")
            self._open(orders, customers, event)
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

    def _open(self, orders: dict, customers: dict, event: OrderCreated) -> None:
        """A new order: its lookup row, and one more order for its customer."""
        orders[event.order_id.int] = {
            "order_id": event.order_id,
            "customer_id": event.customer_id,
            "amount": 0.0,
            "cancelled": False,
        }
        customer = customers.get(event.customer_id.int)
        if customer is None:
            customer = customers[event.customer_id.int] = self._new_customer(event.customer_id)
        customer["order_count"] += 1

    def _new_customer(self, customer_id: UUID) -> Row:
        return {
            "customer_id": customer_id,
            "customer_name": self.customers.name_of(customer_id),
            "order_count": 0,
            "cancelled_count": 0,
            "total_spent": 0.0,
        }
