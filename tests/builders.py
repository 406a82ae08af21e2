"""Test data builders: memorable orders and a snapshot of everything a lab holds."""

from __future__ import annotations

from cqrs_lab.orders import ADA, DEMO_ADDRESS, CreateOrder, OrderItem, created_order_id


def armchair_and_keyboards(customer_id=ADA) -> CreateOrder:
    """One armchair at 249.00 and two keyboards at 89.50: total 428.00, 2 lines."""
    return CreateOrder(
        customer_id=customer_id,
        items=[
            OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0),
            OrderItem(product_id="SILENT-KEYBOARD", quantity=2, unit_price=89.5),
        ],
        shipping_address=DEMO_ADDRESS,
    )


def snapshot(lab) -> tuple:
    """Everything a rejected command must leave untouched: the log and every table."""
    tables = {name: lab.read_db.table(name).to_dict("list") for name in lab.read_db.tables()}
    return lab.event_store.head, [r.event for r in lab.event_store.read_all()], tables


def three_orders(lab) -> list:
    """Three orders of 3 events each: positions 1-3, 4-6, 7-9 (created, item, item)."""
    return [created_order_id(lab.dispatch(armchair_and_keyboards())) for _ in range(3)]


#: Stock enough that no test order is refused for it (orders take stock since issue 15).
PLENTY = {"CRUNCHY-ARMCHAIR": 10**6, "SILENT-KEYBOARD": 10**6, "MIDNIGHT-LAMP": 10**6}
