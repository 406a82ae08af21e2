"""Order commands: what a user may ask of the order domain.

Validation happens here, when the command is built, so a malformed request never
reaches a handler: pydantic's error names the field and the line (``items.2.quantity``
for the third line). The bounds (lines per order, units, prices) live in
:mod:`cqrs_lab.orders.values`.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from cqrs_lab.messaging.messages import Command
from cqrs_lab.orders.values import MAX_LINES_PER_ORDER, Address, OrderItem, Text


class CreateOrder(Command):
    """Place an order for a customer, with 1 to ``MAX_LINES_PER_ORDER`` (100) items."""

    customer_id: UUID
    items: list[OrderItem] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    shipping_address: Address


class CancelOrder(Command):
    """Cancel an order that has not shipped."""

    order_id: UUID
    reason: Text


class ShipOrder(Command):
    """Ship a pending order."""

    order_id: UUID
