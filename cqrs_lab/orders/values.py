"""Value objects of the order domain: immutable, compared by value, validated on creation.

The bounds below keep every number the lab can reach finite and inside the read models'
column types, whatever a client sends (see :class:`OrderItem`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_QUANTITY = 10_000
"""Most units of one product on one line (an INTEGER column holds 2,147,483,647)."""
MAX_UNIT_PRICE = 100_000.00
"""Highest unit price, in the lab's currency."""
MAX_LINES_PER_ORDER = 100
"""Most lines one order may have."""
MAX_ORDER_TOTAL = MAX_LINES_PER_ORDER * MAX_QUANTITY * MAX_UNIT_PRICE
"""The largest total an order can reach: 100,000,000,000.00 (10^13 cents)."""
MAX_TEXT_LENGTH = 200
"""Longest product id, address part or cancellation reason, in characters."""


def _whole_cents(price: float) -> float:
    """Refuse a fraction of a cent; store -0.0 as 0.0, so no total shows "-0.00"."""
    if round(price, 2) != price:
        raise ValueError(f"a price is a whole number of cents, got {price!r}")
    return price if price else 0.0


Quantity = Annotated[int, Field(strict=True, gt=0, le=MAX_QUANTITY)]
"""A whole number of units, 1..MAX_QUANTITY. Strict: ``true``, ``2.0`` and ``"2"`` are refused."""
UnitPrice = Annotated[
    float,
    Field(strict=True, ge=0, le=MAX_UNIT_PRICE, allow_inf_nan=False),
    AfterValidator(_whole_cents),
]
"""A price in whole cents, 0..MAX_UNIT_PRICE: finite, never a boolean or a string."""
ProductId = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH)]
"""A product's id, as the catalogue knows it."""
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH)]
"""A required piece of free text."""


class OrderStatus(StrEnum):
    """Where an order is in its life. Values are what the read model stores."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    """Every line's stock reserved (by the saga of notebook 12)."""
    DECLINED = "declined"
    """A line's stock could not be reserved (by the saga of notebook 12)."""
    CANCELLED = "cancelled"
    SHIPPED = "shipped"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrderItem(_Value):
    """One order line, as in the seed: which product, how many, at what unit price.

    **Bounds.** A line has 1 to ``MAX_QUANTITY`` (10,000) units at a finite price of 0 to
    ``MAX_UNIT_PRICE`` (100,000.00) in whole cents, and an order at most
    ``MAX_LINES_PER_ORDER`` (100) lines. So a line totals at most 10^9 and an order at most
    10^11: far inside a DOUBLE column, and small enough that float rounding stays below a
    tenth of a cent (``round(total, 2)`` is the exact total). A customer's sum over
    any number of orders stays finite. Without bounds, ``unit_price=1e308`` made a total of
    ``inf``, and cancelling it ``inf - inf = NaN``, which the read model stored as NULL.

    **Why float, not Decimal.** A real shop keeps money as ``Decimal`` (or integer cents)
    in ``DECIMAL(18, 2)`` columns: binary floats cannot hold 0.10 exactly, and sums of
    many orders drift. The lab keeps ``float`` on purpose: it teaches CQRS, not money,
    and the guide's ``OrderView`` has ``total_amount: float``; totals print as plain
    numbers in the notebooks and JSON; and the projections fold hundreds of thousands of
    events a second with float adds and float arrays written to DuckDB, where Decimal
    would be several times slower. The bounds keep each order's total exact to the cent;
    only long sums (``customer_stats.total_spent``) may differ from a Decimal sum in the
    last digits.
    """

    product_id: ProductId
    quantity: Quantity
    unit_price: UnitPrice

    @property
    def subtotal(self) -> float:
        return self.quantity * self.unit_price


class Address(_Value):
    """A shipping address; every part is required."""

    street: Text
    city: Text
    postal_code: Text
    country: Text
