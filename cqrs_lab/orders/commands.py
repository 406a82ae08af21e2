"""Order commands: what a user may ask of the order domain.

Validation happens here, when the command is built, so a malformed request never
reaches a handler: pydantic's error names the field and the line (``items.2.quantity``
for the third line). The bounds (lines per order, units, prices) live in
:mod:`cqrs_lab.orders.values`.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cqrs_lab.messaging.messages import Command
from cqrs_lab.orders.values import (
    MAX_LINES_PER_ORDER,
    Address,
    ProductId,
    Quantity,
    Text,
    UnitPrice,
)


class OrderLine(BaseModel):
    """One line as a client asks for it: which product, how many, and optionally the
    price the client showed the customer.

    The price paid always comes from the catalogue (see ``CreateOrderHandler``). A price
    sent along is a check, not a choice: if it disagrees with the catalogue the order is
    refused, so nobody is charged a price they were never shown. An
    :class:`~cqrs_lab.orders.values.OrderItem` is accepted as a line (its attributes are
    read), so code that builds orders from items keeps working.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)
    product_id: ProductId
    quantity: Quantity
    unit_price: UnitPrice = None  # type: ignore[assignment]
    """Leave it out to pay the catalogue's price (None here). ``null`` is refused like any
    other non-price: a client that means "no price" sends no price."""


class CreateOrder(Command):
    """Place an order for a customer, with 1 to ``MAX_LINES_PER_ORDER`` (100) lines."""

    customer_id: UUID
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    shipping_address: Address


class CancelOrder(Command):
    """Cancel an order that has not shipped."""

    order_id: UUID
    reason: Text


class ShipOrder(Command):
    """Ship a pending order."""

    order_id: UUID


class ConfirmOrder(Command):
    """Confirm a pending order whose stock is reserved (the saga sends it)."""

    order_id: UUID


class DeclineOrder(Command):
    """Decline a pending order whose stock could not be reserved (the saga sends it)."""

    order_id: UUID
    reason: Text


class ReserveStock(Command):
    """Set units of a product aside for an order. Refused reservations are recorded too
    (``StockReservationRefused``), so the answer is in the log either way."""

    product_id: ProductId
    order_id: UUID
    quantity: Quantity


class ReleaseStock(Command):
    """Give back what an order holds of a product (nothing held: nothing happens)."""

    product_id: ProductId
    order_id: UUID
