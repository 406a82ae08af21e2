"""Past shapes of the order events, and the upcasters that read them in today's shape.

The story is the guide's bug 2: its ``OrderItemAdded`` carried only ``order_id`` and
``product_id``. A store that ran the guide's code holds such events next to today's.

- ``OrderItemAdded`` v1, the guide's shape: ``{order_id, product_id}``. Quantity and price
  were never recorded: no upcaster may invent them (:class:`FactNeverRecordedError`).
  :func:`from_invoices` repairs it from a source that did record them.
- ``OrderItemAdded`` v2, a later shop: ``{order_id, sku, price}``, one unit per line.
  To v3 (today): a **rename** (``sku`` -> ``product_id``, ``price`` -> ``unit_price``) and
  a **default** (``quantity`` 1, true of every v2 line).
- ``OrderCreated`` v1: the address as one line ``"street, city, postal code, country"``.
  To v2 (today): a **split** into the four parts of an ``Address``.
"""

from __future__ import annotations

from collections.abc import Mapping

from cqrs_lab.write_side.upcasting import FactNeverRecordedError, Fields, Upcasters

#: Today's schema version of each order event whose shape changed.
CURRENT_VERSIONS = {"OrderCreated": 2, "OrderItemAdded": 3}


def split_address(fields: Fields) -> Fields:
    """OrderCreated v1 -> v2: one address line split into its four parts."""
    street, city, postal_code, country = (p.strip() for p in fields.pop("ship_to").split(","))
    fields["shipping_address"] = {
        "street": street,
        "city": city,
        "postal_code": postal_code,
        "country": country,
    }
    return fields


def guide_item_cannot_be_priced(fields: Fields) -> Fields:
    """OrderItemAdded v1 -> v2: the guide never recorded quantity or price."""
    raise FactNeverRecordedError("OrderItemAdded", 1, ["quantity", "unit_price"])


def rename_and_default(fields: Fields) -> Fields:
    """OrderItemAdded v2 -> v3: rename two fields; a v2 line was always one unit."""
    fields["product_id"] = fields.pop("sku")
    fields["unit_price"] = fields.pop("price")
    fields.setdefault("quantity", 1)
    return fields


def from_invoices(invoices: Mapping[tuple[str, str], tuple[int, float]]):
    """A repair for OrderItemAdded v1: quantity and price from the invoice archive.

    ``invoices`` maps ``(order_id, product_id)`` to ``(quantity, unit_price)`` as invoiced.
    A line the archive does not know still raises: nothing is guessed.
    """

    def repair(fields: Fields) -> Fields:
        invoiced = invoices.get((fields["order_id"], fields["product_id"]))
        if invoiced is None:
            raise FactNeverRecordedError("OrderItemAdded", 1, ["quantity", "unit_price"])
        quantity, price = invoiced
        return {
            "order_id": fields["order_id"],
            "sku": fields["product_id"],
            "price": price,
            "quantity": quantity,
        }

    return repair


def order_upcasters(*, repair_v1=None) -> Upcasters:
    """The order events' upcasters; ``repair_v1`` replaces the refusal for guide-shaped items."""
    upcasters = Upcasters(CURRENT_VERSIONS)
    upcasters.register("OrderCreated", 1, split_address)
    upcasters.register("OrderItemAdded", 1, repair_v1 or guide_item_cannot_be_priced)
    upcasters.register("OrderItemAdded", 2, rename_and_default)
    return upcasters
