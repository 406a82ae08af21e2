"""Order domain events: what happened to an order, in the seed's field names.

Unlike the seed, ``OrderItemAdded`` carries ``quantity`` and ``unit_price`` (its bug 2:
the projection read fields the event never had), within the same bounds as an
:class:`~cqrs_lab.orders.values.OrderItem`: an event that breaks them (a tampered store, a
bad migration) fails validation instead of turning a total into ``inf`` or NULL.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.values import (
    MAX_LINES_PER_ORDER,
    MAX_QUANTITY,
    Address,
    ProductId,
    Quantity,
    Text,
    UnitPrice,
)

Units = Annotated[int, Field(strict=True, gt=0, le=MAX_LINES_PER_ORDER * MAX_QUANTITY)]
"""Units of one product an order holds: every line of it summed (up to 100 x 10,000)."""


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


class OrderConfirmed(OrderEvent):
    """Every line's stock is reserved: the order will be fulfilled (the saga decided)."""


class OrderDeclined(OrderEvent):
    """A line's stock could not be reserved: the order will not be fulfilled. (Named apart
    from :class:`~cqrs_lab.orders.errors.OrderRejected`, the error a refused command raises:
    this is a recorded decision about an order that exists.)"""

    reason: Text


# -- stock: one event-sourced stream per product --------------------------------------------


class StockEvent(DomainEvent):
    """Base of stock events: the stream is the product's stock (see ``stock_id_of``)."""

    stock_id: UUID
    product_id: ProductId

    @property
    def aggregate_id(self) -> UUID:
        return self.stock_id


class StockAdded(StockEvent):
    """Units arrived in the warehouse (the first one opens the product's stock)."""

    quantity: int = Field(strict=True, ge=0)


class StockReserved(StockEvent):
    """Units were set aside for an order: nobody else can take them."""

    order_id: UUID
    quantity: Units


class StockReservationRefused(StockEvent):
    """An order asked for more units than were free; nothing was set aside.

    Recorded (not only raised) so a process manager that asked learns the answer from
    the log, and a second identical request is refused by the store, not decided again.
    """

    order_id: UUID
    requested: Units
    available: int


class StockReleased(StockEvent):
    """An order's reserved units went back on the shelf (cancelled or declined order)."""

    order_id: UUID
    quantity: Units


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
