"""Order commands: what a user may ask of the order domain.

Validation happens here, when the command is built, so a malformed request never
reaches a handler: pydantic's error names the field (``items.0.quantity``).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from cqrs_lab.messaging.messages import Command
from cqrs_lab.orders.values import Address, OrderItem


class CreateOrder(Command):
    """Place an order for a customer, with at least one item."""

    customer_id: UUID
    items: list[OrderItem] = Field(min_length=1)
    shipping_address: Address


class CancelOrder(Command):
    """Cancel an order that has not shipped."""

    order_id: UUID
    reason: str = Field(min_length=1)


class ShipOrder(Command):
    """Ship a pending order."""

    order_id: UUID
