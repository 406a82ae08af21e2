"""Notebook 06's CRUD orders that also tell the world: first the guide's way, then with an outbox.

:class:`DualWriteOrders` saves the row, then publishes the order's events, as the guide's
bus does. Between the two is a gap: a process that dies there (``crash_between``) leaves a
saved order no read model will ever show. :class:`OutboxOrders` writes the row and the
events into the outbox table in one DuckDB transaction; a relay publishes them later, at
least once, and nothing saved can go unpublished.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from cqrs_lab.breaking.faults import InjectedCrash
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.messaging.outbox import Broker, Outbox
from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.comparisons.crud import CrudOrders
from cqrs_lab.orders.events import OrderCreated, OrderItemAdded
from cqrs_lab.orders.values import Address, OrderItem
from cqrs_lab.write_side.event_store import RecordedEvent


def order_placed(
    order_id: UUID, customer_id: UUID, items: list[OrderItem], address: Address
) -> list[DomainEvent]:
    """The events of a placed order, as the event-sourced ``Order`` would raise them."""
    events: list[DomainEvent] = [
        OrderCreated(
            order_id=order_id, customer_id=customer_id, shipping_address=address, version=1
        )
    ]
    for n, item in enumerate(items, 2):
        events.append(
            OrderItemAdded(
                order_id=order_id,
                product_id=item.product_id,
                quantity=item.quantity,
                unit_price=item.unit_price,
                version=n,
            )
        )
    return events


class DualWriteOrders(CrudOrders):
    """Save the row, then publish: the guide's order of things, and its gap.

    ``crash_between``: how many of the next orders die after the save, before the publish.
    """

    def __init__(self, *args, broker: Broker, crash_between: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.broker = broker
        self.crash_between = crash_between
        self.published = 0

    def place_order(
        self, customer_id: UUID, items: Iterable[OrderItem], address: Address = DEMO_ADDRESS
    ) -> UUID:
        items = list(items)
        order_id = super().place_order(customer_id, items)  # saved (committed)
        if self.crash_between:
            self.crash_between -= 1
            raise InjectedCrash("between save and publish", self.published)
        for event in order_placed(order_id, customer_id, items, address):
            self.published += 1
            self.broker.publish(RecordedEvent(self.published, order_id, self.clock.now(), event))
        return order_id


class OutboxOrders(CrudOrders):
    """Save the row and queue its events in one transaction; a relay publishes them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outbox = Outbox(self.db)

    def place_order(
        self, customer_id: UUID, items: Iterable[OrderItem], address: Address = DEMO_ADDRESS
    ) -> UUID:
        items = list(items)
        self.db.begin()
        try:
            order_id = super().place_order(customer_id, items)
            self.outbox.add(order_placed(order_id, customer_id, items, address), self.clock.now())
            self.db.commit()
        except BaseException:
            self.db.rollback()  # neither the row nor its events
            raise
        return order_id
