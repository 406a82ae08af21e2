"""Why the order domain rejects a command. Each error names the entity at fault."""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.write_side.repository import AggregateNotFoundError


class OrderRejected(Exception):
    """Base of every business-rule rejection in the order domain."""


class InvalidOperationError(OrderRejected):
    """The order's current state forbids the operation (e.g. cancel a shipped order)."""


class InsufficientInventoryError(OrderRejected):
    """Not enough stock of a product. Attributes: product_id, requested, available."""

    def __init__(
        self, product_id: str, requested: int | None = None, available: int | None = None
    ) -> None:
        self.product_id = product_id
        self.requested = requested
        self.available = available
        detail = "" if requested is None else f": requested {requested}, available {available}"
        super().__init__(f"insufficient inventory for product {product_id}{detail}")


class PriceMismatchError(OrderRejected, ValueError):
    """A line's price is not the catalogue's. Attributes: product_id, sent, listed."""

    def __init__(self, product_id: str, sent: float, listed: float) -> None:
        self.product_id = product_id
        self.sent = sent
        self.listed = listed
        super().__init__(
            f"price of {product_id} is {listed:.2f} in the catalogue, the order sent {sent:.2f}"
        )


class UnknownProductError(OrderRejected, LookupError):
    """The product is not in the catalogue. Attribute: product_id."""

    def __init__(self, product_id: str) -> None:
        self.product_id = product_id
        super().__init__(f"unknown product {product_id!r}")


class UnpricedProductError(UnknownProductError):
    """The catalogue lists no price for the product, so no order line for it can be priced.

    Raised even when the line carries a price: the lab never charges what the client sent
    (see ``CreateOrderHandler.priced``). A kind of :class:`UnknownProductError`, since the
    catalogue does not sell the product. Attributes: product_id, sent (the line's price, or
    None).
    """

    def __init__(self, product_id: str, sent: float | None = None) -> None:
        super().__init__(product_id)
        self.sent = sent
        offered = "" if sent is None else f"; the order's price of {sent:.2f} is not taken"
        self.args = (
            f"product {product_id!r} has no list price in the catalogue{offered}: "
            "give it one with build_lab(prices=...)",
        )


class UnknownCustomerError(OrderRejected, LookupError):
    """The customer does not exist. Attribute: customer_id."""

    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        super().__init__(f"unknown customer {customer_id}")


class OrderNotFoundError(AggregateNotFoundError, OrderRejected):
    """No order has this id. Attribute: aggregate_id (also ``order_id``)."""

    @property
    def order_id(self) -> UUID:
        return self.aggregate_id
