"""The services the order handlers and projections lean on, in memory.

Stand-ins for what would be other systems in production (a warehouse, a CRM). Async
where the seed awaits them; plain lookups where a projection needs them mid-fold.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from cqrs_lab.orders.errors import UnknownCustomerError, UnknownProductError


class Customer(BaseModel):
    """A customer as the customer service knows them."""

    model_config = ConfigDict(frozen=True)
    id: UUID
    name: str


class CustomerService:
    """Customer names by id (the source of ``order_summary.customer_name``)."""

    def __init__(self, customers: Mapping[UUID, str]) -> None:
        self._names = dict(customers)

    async def get(self, customer_id: UUID) -> Customer:
        """The customer; raises :class:`UnknownCustomerError` if there is none."""
        return Customer(id=customer_id, name=self.name_of(customer_id))

    def name_of(self, customer_id: UUID) -> str:
        """The customer's name; raises :class:`UnknownCustomerError` if there is none."""
        try:
            return self._names[customer_id]
        except KeyError:
            raise UnknownCustomerError(customer_id) from None

    def all(self) -> dict[UUID, str]:
        """Every customer, id to name."""
        return dict(self._names)


class InventoryService:
    """Units in stock per product. Orders are checked against it, not deducted from it,
    as in the seed (reserving stock would be a saga between two aggregates)."""

    def __init__(self, stock: Mapping[str, int]) -> None:
        for product_id, units in stock.items():
            if units < 0:
                raise ValueError(f"stock of {product_id!r} cannot be negative ({units})")
        self._stock = dict(stock)

    async def check_availability(self, product_id: str, quantity: int) -> bool:
        """Whether ``quantity`` units are in stock; unknown products raise."""
        return self.stock_of(product_id) >= quantity

    def stock_of(self, product_id: str) -> int:
        """Units in stock; raises :class:`UnknownProductError` for an unknown product."""
        try:
            return self._stock[product_id]
        except KeyError:
            raise UnknownProductError(product_id) from None

    def all(self) -> dict[str, int]:
        """Every product, id to units in stock."""
        return dict(self._stock)
