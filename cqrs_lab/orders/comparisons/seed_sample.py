"""The seed's sample code, kept as written so the lab can show where it goes wrong.

Nothing else in the lab uses this module; notebooks and tests import it to reproduce
the seed's bugs next to the lab's fixes:

1. ``seed_create_order_events`` raises the item events *before* ``OrderCreated``.
2. The seed's ``OrderItemAdded(order_id=..., product_id=...)`` lacks quantity and price;
   the lab's event refuses to be built that way (see ``seed_item_event``).
3. ``SeedOrderProjection`` writes one SQL statement per event with
   ``total_amount = total_amount + ...``: a redelivered event counts twice, and per-event
   statements are the slowest way to write DuckDB (bug 6).
4. ``SeedCommandBus.dispatch`` uses ``self.event_publisher``, which nothing sets.
5. The seed's HTTP route answers ``events[0].order_id``, the first *item* event's.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import duckdb

from cqrs_lab.messaging.messages import Command, DomainEvent
from cqrs_lab.messaging.registry import NoHandlerFoundError
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.orders.services import CustomerService
from cqrs_lab.orders.values import Address, OrderItem
from cqrs_lab.read_side.columns import naive_utc
from cqrs_lab.time_and_ids import defaults


def seed_create_order_events(
    customer_id: UUID, items: Iterable[OrderItem], shipping_address: Address
) -> list[DomainEvent]:
    """The events the seed's ``Order.create`` raises, in its order: items first (bug 1).

    The item events carry quantity and price here, so that bug 1 can be seen on its own.
    """
    order_id = defaults.new_id()
    events: list[DomainEvent] = [
        OrderItemAdded(
            order_id=order_id,
            product_id=item.product_id,
            quantity=item.quantity,
            unit_price=item.unit_price,
            version=number,
        )
        for number, item in enumerate(items, start=1)
    ]
    events.append(
        OrderCreated(
            order_id=order_id,
            customer_id=customer_id,
            shipping_address=shipping_address,
            version=len(events) + 1,
        )
    )
    return events


def seed_item_event(order_id: UUID, product_id: str) -> OrderItemAdded:
    """Build the item event the way the seed does (bug 2): raises a ``ValidationError``
    naming ``quantity`` and ``unit_price``, the fields the seed's projection needs."""
    return OrderItemAdded(order_id=order_id, product_id=product_id)


class SeedOrderProjection:
    """The seed's ``OrderProjection``: one SQL statement per event, not idempotent.

    Give it a database of its own (``SeedOrderProjection(duckdb.connect(), customers)``):
    the lab's database belongs to the lab's projector, and nothing else writes there.
    It writes the table ``seed_order_summary`` (by default), to compare with the lab's
    ``order_summary``.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        customer_service: CustomerService,
        table: str = "seed_order_summary",
    ) -> None:
        self.db = con
        self.customers = customer_service
        self.table = table
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id UUID PRIMARY KEY, customer_id UUID, "
            "customer_name VARCHAR, status VARCHAR, total_amount DOUBLE, item_count INTEGER, "
            "created_at TIMESTAMP)"
        )

    async def handle(self, event: DomainEvent) -> None:
        self.handle_now(event)

    def handle_now(self, event: DomainEvent) -> None:
        """``handle`` without ``await``: the same per-event SQL."""
        match event:
            case OrderCreated():
                self.db.execute(
                    f"INSERT INTO {self.table} (id, customer_id, customer_name, status, "
                    "total_amount, item_count, created_at) VALUES ($1, $2, $3, 'pending', 0.0, 0, $4) "
                    "ON CONFLICT (id) DO UPDATE SET customer_name = $3",
                    [
                        event.order_id,
                        event.customer_id,
                        self.customers.name_of(event.customer_id),
                        # Not in the seed: naive UTC, so the stored time does not depend
                        # on the session's time zone (see cqrs_lab.read_side.columns.naive_utc).
                        naive_utc(event.occurred_at),
                    ],
                )
            case OrderItemAdded():
                self.db.execute(
                    f"UPDATE {self.table} SET total_amount = total_amount + $1, "
                    "item_count = item_count + 1 WHERE id = $2",
                    [event.quantity * event.unit_price, event.order_id],
                )
            case OrderCancelled():
                self.db.execute(
                    f"UPDATE {self.table} SET status = 'cancelled' WHERE id = $1", [event.order_id]
                )
            case OrderShipped():
                self.db.execute(
                    f"UPDATE {self.table} SET status = 'shipped' WHERE id = $1", [event.order_id]
                )


class SeedCommandBus:
    """The seed's ``CommandBus``, unchanged: ``dispatch`` fails at ``self.event_publisher``."""

    def __init__(self) -> None:
        self._handlers: dict[type, object] = {}

    def register(self, command_type: type, handler: object) -> None:
        self._handlers[command_type] = handler

    async def dispatch(self, command: Command) -> list[DomainEvent]:
        handler = self._handlers.get(type(command))
        if not handler:
            raise NoHandlerFoundError(type(command))
        events = await handler.handle(command)
        for event in events:
            await self.event_publisher.publish(event)  # bug 4: never set
        return events


def seed_route_order_id(events: list[DomainEvent]) -> UUID:
    """What the seed's POST route returns: ``events[0].order_id`` (bug 5)."""
    return events[0].order_id
