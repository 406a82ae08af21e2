"""Order domain events: what happened to an order, in the seed's field names.

Unlike the seed, ``OrderItemAdded`` carries ``quantity`` and ``unit_price`` (its bug 2:
the projection read fields the event never had), within the same bounds as an
:class:`~cqrs_lab.orders.values.OrderItem`: an event that breaks them (a tampered store, a
bad migration) fails validation instead of turning a total into ``inf`` or NULL.
"""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.values import Address, Quantity, UnitPrice


class OrderEvent(DomainEvent):
    """Base of order events: the stream is the order's id."""

    order_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.order_id


class OrderCreated(OrderEvent):
    """An order was placed. Always the first event of an order's stream."""

    customer_id: UUID
    shipping_address: Address


class OrderItemAdded(OrderEvent):
    """A line was added to the order."""

    product_id: str
    quantity: Quantity
    unit_price: UnitPrice


class OrderCancelled(OrderEvent):
    """The order was cancelled, with the customer's or operator's reason."""

    reason: str


class OrderShipped(OrderEvent):
    """The order left the warehouse; it can no longer be cancelled."""


def created_order_id(events: list[DomainEvent]) -> UUID:
    """The id of the order an event list created, read from its ``OrderCreated``.

    The seed's route takes ``events[0].order_id``, which only works because every
    event of an order happens to carry the same id (its bug 5).

    Raises:
        LookupError: if there is no ``OrderCreated`` among the events.
    """
    for event in events:
        if isinstance(event, OrderCreated):
            return event.order_id
    raise LookupError("no OrderCreated among the events")
