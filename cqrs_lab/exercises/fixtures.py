"""Shared data for the hidden tests: memorable orders and events with fixed ids."""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    Address,
    CreateOrder,
    OrderCancelled,
    OrderCreated,
    OrderItem,
    OrderItemAdded,
    OrderShipped,
)

ORDER_ID = UUID("00000000-0000-4000-8000-0000000000e1")
ARMCHAIR = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)
KEYBOARDS = OrderItem(product_id="SILENT-KEYBOARD", quantity=2, unit_price=89.5)
LAMP = OrderItem(product_id="MIDNIGHT-LAMP", quantity=1, unit_price=35.25)


def created(order_id: UUID = ORDER_ID, version: int = 1) -> OrderCreated:
    return OrderCreated(
        order_id=order_id, customer_id=ADA, shipping_address=DEMO_ADDRESS, version=version
    )


def item_added(item: OrderItem, version: int, order_id: UUID = ORDER_ID) -> OrderItemAdded:
    return OrderItemAdded(
        order_id=order_id,
        product_id=item.product_id,
        quantity=item.quantity,
        unit_price=item.unit_price,
        version=version,
    )


def cancelled(version: int, order_id: UUID = ORDER_ID) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, reason="changed my mind", version=version)


def shipped(version: int, order_id: UUID = ORDER_ID) -> OrderShipped:
    return OrderShipped(order_id=order_id, version=version)


def place(customer: UUID = ADA, *items: OrderItem, address: Address = DEMO_ADDRESS) -> CreateOrder:
    return CreateOrder(
        customer_id=customer, items=list(items or [ARMCHAIR]), shipping_address=address
    )
