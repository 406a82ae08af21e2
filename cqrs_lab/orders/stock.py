"""``Stock``: one product's units, an event-sourced aggregate of its own.

The guide checks stock and never takes it (``check_availability``, then save): two orders
that check at the same moment both see the last armchair and both get it. Here every
reservation is an event in the product's own stream, and the repository saves it with
the version the stock was loaded at: of two orders racing for the last unit, the second
to save finds the stream moved on (``ConcurrencyError``), loads the stock again, and is
refused on what is really left. The store's version check is the lock.

An order and its stock are two aggregates: saving both is two writes, never one. Who
keeps them in step is the lesson of notebook 12 (a saga).
"""

from __future__ import annotations

from uuid import UUID, uuid5

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.errors import InsufficientInventoryError
from cqrs_lab.orders.events import (
    StockAdded,
    StockReleased,
    StockReservationRefused,
    StockReserved,
)
from cqrs_lab.write_side.aggregate import Aggregate

STOCK_NAMESPACE = UUID("5e0c0000-0000-4000-8000-000000570c4a")


def stock_id_of(product_id: str) -> UUID:
    """The stream id of a product's stock: the same for the same product, in every lab."""
    return uuid5(STOCK_NAMESPACE, product_id)


class Stock(Aggregate):
    """A product's units: on hand, and set aside per order.

    Raises:
        InsufficientInventoryError: from :meth:`reserve` when too few units are free.
    """

    id_field = "stock_id"
    state_version = 1
    """The shape of this class's state: a snapshot of another shape is not restored."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self._init_state()

    def _init_state(self) -> None:
        self.product_id: str | None = None
        self.on_hand = 0
        """Units in the warehouse, reserved or not."""
        self.reserved = 0
        """Units set aside for orders."""
        self.reservations: dict[UUID, int] = {}
        """Units set aside, per order."""

    # -- commands -------------------------------------------------------------------------

    @classmethod
    def open(cls, product_id: str, units: int) -> Stock:
        """Start stocking ``product_id`` with ``units`` on the shelf."""
        stock = cls(stock_id_of(product_id))
        stock._raise_event(StockAdded, product_id=product_id, quantity=units)
        return stock

    def add(self, units: int) -> None:
        """Put ``units`` more on the shelf."""
        self._raise_event(StockAdded, product_id=self.product_id, quantity=units)

    def reserve(self, order_id: UUID, quantity: int) -> None:
        """Set ``quantity`` units aside for ``order_id``; refuse if fewer are free."""
        if quantity > self.available:
            raise InsufficientInventoryError(self.product_id, quantity, self.available)
        self._raise_event(
            StockReserved, product_id=self.product_id, order_id=order_id, quantity=quantity
        )

    def refuse(self, order_id: UUID, quantity: int) -> None:
        """Record that ``order_id`` asked for ``quantity`` units and could not have them."""
        self._raise_event(
            StockReservationRefused,
            product_id=self.product_id,
            order_id=order_id,
            requested=quantity,
            available=self.available,
        )

    def release(self, order_id: UUID) -> None:
        """Give back everything ``order_id`` holds. An order holding nothing (never
        reserved, or released before) changes nothing: releasing twice is harmless."""
        held = self.reservations.get(order_id, 0)
        if held:
            self._raise_event(
                StockReleased, product_id=self.product_id, order_id=order_id, quantity=held
            )

    # -- state ----------------------------------------------------------------------------

    @property
    def available(self) -> int:
        """Units free to reserve: on hand minus reserved (never negative)."""
        return self.on_hand - self.reserved

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case StockAdded():
                self.product_id = event.product_id
                self.on_hand += event.quantity
            case StockReserved():
                held = self.reservations.get(event.order_id, 0)
                self.reservations[event.order_id] = held + event.quantity
                self.reserved += event.quantity
            case StockReleased():
                del self.reservations[event.order_id]
                self.reserved -= event.quantity
            case StockReservationRefused():
                pass  # nothing was set aside
            case _:
                raise TypeError(f"Stock cannot apply {type(event).__name__}")

    def __repr__(self) -> str:
        return (
            f"Stock({self.product_id}, on_hand={self.on_hand}, reserved={self.reserved}, "
            f"available={self.available}, version={self.version})"
        )
