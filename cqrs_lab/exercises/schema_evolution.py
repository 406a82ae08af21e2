"""Notebook 13's exercise: repair the guide's unpriced lines from a source that recorded them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.orders import ADA, OrderCreated, OrderItemAdded
from cqrs_lab.orders.upcasting import order_upcasters
from cqrs_lab.write_side.upcasting import FactNeverRecordedError, VersionedEventLog

_AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
_INVOICED = UUID("00000000-0000-4000-8000-000000000131")
_UNKNOWN = UUID("00000000-0000-4000-8000-000000000132")
_ARCHIVE = {(str(_INVOICED), "CRUNCHY-ARMCHAIR"): (2, 249.0)}


def _guide_log(repair: Any) -> VersionedEventLog:
    """Two of the guide's orders, one line each; the archive invoiced only the first."""
    log = VersionedEventLog.open([OrderCreated, OrderItemAdded], order_upcasters(repair_v1=repair))
    for order, product in [(_INVOICED, "CRUNCHY-ARMCHAIR"), (_UNKNOWN, "DESK-PLANT")]:
        created = {"order_id": str(order), "customer_id": str(ADA), "version": 1}
        created["ship_to"] = "12 Analytical Row, London, N1 7AA, GB"
        log.append(order, "OrderCreated", 1, created, _AT)
        line = {"order_id": str(order), "product_id": product, "version": 2}
        log.append(order, "OrderItemAdded", 1, line, _AT)
    return log


@exercise(
    "13-guide-line",
    "Repair the guide's unpriced lines from the invoice archive, and guess nothing",
    hints=(
        "An upcaster may only reshape facts someone recorded: take quantity and price from "
        "the archive, and refuse a line the archive does not know.",
        'invoices.get((fields["order_id"], fields["product_id"])); if None: raise '
        'FactNeverRecordedError("OrderItemAdded", 1, ["quantity", "unit_price"]); else return '
        'v2 fields {"order_id", "sku", "price", "quantity"}.',
    ),
)
def _guide_line(answer: Any) -> None:
    log = _guide_log(answer(dict(_ARCHIVE)))
    stored = [row.data for row in log.rows]
    try:
        line = log.read(log.rows[1]).event
    except FactNeverRecordedError:
        raise NotYet(
            "the armchair line the archive invoiced (2 at 249.00) was refused",
            "Look the line up in the archive by its order and product.",
            'invoices.get((fields["order_id"], fields["product_id"]))',
        ) from None
    except (KeyError, ValidationError) as unreadable:
        raise NotYet(
            f"the repaired line is not in v2's shape, so the v2 -> v3 upcaster could not read "
            f"it ({type(unreadable).__name__}: {str(unreadable).splitlines()[0]})",
            "Each upcaster returns the *next* version's fields; the chain does the rest.",
            'v2 is {"order_id", "sku", "price", "quantity"}: sku is the product, price the '
            "unit price.",
        ) from None
    if (line.quantity, line.unit_price) != (2, 249.0):
        raise NotYet(
            f"the invoiced armchair line reads as {line.quantity} x {line.unit_price:.2f}, "
            "want 2 x 249.00 as invoiced",
            "The archive maps (order id, product id) to (quantity, unit price).",
            "quantity, price = invoiced",
        )
    try:
        guess = log.read(log.rows[3]).event
    except FactNeverRecordedError as refused:
        if not {"quantity", "unit_price"} <= set(refused.missing):
            raise NotYet(
                f"the refusal names {refused.missing}, not the facts never recorded",
                "Say which facts are missing, so whoever repairs the data knows what to find.",
                'FactNeverRecordedError("OrderItemAdded", 1, ["quantity", "unit_price"])',
            ) from None
    else:
        raise NotYet(
            f"a line the archive does not know was read as {guess.quantity} x "
            f"{guess.unit_price:.2f}: a guess in the books (the guide's bug 2, made quiet)",
            "No source recorded that line's quantity or price: refuse it, naming the facts.",
            'if invoiced is None: raise FactNeverRecordedError("OrderItemAdded", 1, '
            '["quantity", "unit_price"])',
        )
    if [row.data for row in log.rows] != stored:
        raise NotYet(
            "reading changed the stored rows",
            "Upcasting reads a copy; stored events are never rewritten.",
            "Build and return a new dict.",
        )
