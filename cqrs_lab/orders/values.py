"""Value objects of the order domain: immutable, compared by value, validated on creation."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class OrderStatus(StrEnum):
    """Where an order is in its life. Values are what the read model stores."""

    PENDING = "pending"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrderItem(_Value):
    """One order line, as in the seed: which product, how many, at what unit price."""

    product_id: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    unit_price: float = Field(ge=0, allow_inf_nan=False)

    @property
    def subtotal(self) -> float:
        return self.quantity * self.unit_price


class Address(_Value):
    """A shipping address; every part is required."""

    street: str = Field(min_length=1)
    city: str = Field(min_length=1)
    postal_code: str = Field(min_length=1)
    country: str = Field(min_length=1)
