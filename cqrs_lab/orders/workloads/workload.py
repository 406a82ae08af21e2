"""The standard workload: a realistic, reproducible history of orders.

Used by benchmarks, burst simulations and tests so their figures compare. Each order has
three lines (quantities 1, 2, 1 at 9.50, 3.25 and 100.00: 4 events per order); one order
in 20 is then cancelled and one in 10 shipped.
"""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.commands import CancelOrder, CreateOrder, ShipOrder
from cqrs_lab.orders.events import created_order_id
from cqrs_lab.orders.values import OrderItem

WORKLOAD_ITEMS = (
    OrderItem(product_id="PAPER-CLIPS", quantity=1, unit_price=9.50),
    OrderItem(product_id="RUBBER-DUCK", quantity=2, unit_price=3.25),
    OrderItem(product_id="DESK-PLANT", quantity=1, unit_price=100.00),
)
#: Total of one workload order.
WORKLOAD_ORDER_TOTAL = sum(item.subtotal for item in WORKLOAD_ITEMS)


def workload_customers(count: int = 500) -> dict[UUID, str]:
    """``count`` customers with fixed ids (``...-0000000000001`` upwards)."""
    return {
        UUID(int=(0x4000 << 64) | (0x8 << 60) | n, version=4): f"Customer {n:03d}"
        for n in range(1, count + 1)
    }


def workload_stock() -> dict[str, int]:
    """Plenty of every workload product, so no order is refused."""
    return {item.product_id: 10**9 for item in WORKLOAD_ITEMS}


def is_cancelled(n: int) -> bool:
    """Order ``n`` (0-based) is cancelled: 5% of orders."""
    return n % 20 == 7


def is_shipped(n: int) -> bool:
    """Order ``n`` (0-based) is shipped: 10% of orders."""
    return n % 10 == 3


def run_workload(
    lab, orders: int, *, customers: list[UUID] | None = None, seconds_between: float = 0.0
) -> list[UUID]:
    """Dispatch the standard workload into ``lab`` (built with the workload catalogue).

    Returns the order ids in creation order. ``seconds_between`` advances a simulated
    clock after each order.
    """
    customer_ids = customers or list(lab.catalogue.customers)
    order_ids = []
    for n in range(orders):
        events = lab.dispatch(
            CreateOrder(
                customer_id=customer_ids[n % len(customer_ids)],
                items=list(WORKLOAD_ITEMS),
                shipping_address=DEMO_ADDRESS,
            )
        )
        order_id = created_order_id(events)
        order_ids.append(order_id)
        if is_cancelled(n):
            lab.dispatch(CancelOrder(order_id=order_id, reason="workload"))
        elif is_shipped(n):
            lab.dispatch(ShipOrder(order_id=order_id))
        if seconds_between:
            lab.clock.advance(seconds_between)
    return order_ids
