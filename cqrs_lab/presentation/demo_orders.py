"""The orders the visualizer's buttons send: one that is accepted, one that is refused.

Built from the lab's own catalogue (its first customer and product), so the buttons work
on any lab, the demo one or one built with a workload's customers and stock.
"""

from __future__ import annotations

from cqrs_lab.orders import DEMO_ADDRESS, CreateOrder, OrderItem


def default_order(lab) -> CreateOrder:
    """One unit of the best-stocked product for the catalogue's first customer (accepted
    many times over)."""
    catalogue = lab.catalogue
    product = max(catalogue.stock, key=catalogue.stock.get)
    return CreateOrder(
        customer_id=next(iter(catalogue.customers)),
        items=[OrderItem(product_id=product, quantity=1, unit_price=catalogue.prices[product])],
        shipping_address=DEMO_ADDRESS,
    )


def order_for_too_many(lab) -> CreateOrder:
    """An order for more units than the catalogue ever had (the handler refuses it)."""
    order = default_order(lab)
    item = order.items[0]
    quantity = lab.catalogue.stock[item.product_id] + 1_000
    return order.model_copy(update={"items": [item.model_copy(update={"quantity": quantity})]})
