"""The services the order handlers and projections lean on, in memory.

Stand-ins for what would be other systems in production (a warehouse, a CRM). Async
where the seed awaits them; plain lookups where a projection needs them mid-fold.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from cqrs_lab.orders.errors import (
    InsufficientInventoryError,
    UnknownCustomerError,
    UnknownProductError,
)
from cqrs_lab.orders.stock import Stock, stock_id_of
from cqrs_lab.write_side.event_store import ConcurrencyError, InMemoryEventStore
from cqrs_lab.write_side.kept_aggregates import KeptAggregates
from cqrs_lab.write_side.repository import AggregateNotFoundError
from cqrs_lab.write_side.snapshots import Snapshots


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
    """Units in stock per product, each product's stock a :class:`Stock` aggregate.

    The guide's inventory answers "are there enough?" (:meth:`check_availability`) and
    takes nothing, so two orders can both be told yes for the last unit. This one also
    *takes*: :meth:`reserve` sets units aside with an event, saved only if the product's
    stock did not change since it was loaded (the store's expected-version check); a
    reservation that lost that race loads the stock again and decides on what is left.

    ``store`` keeps the stock streams: by default a store of its own (the warehouse's),
    so the order log reads as before; a lab whose saga reserves stock passes its own
    event store, so orders and stock share one log (notebook 12).

    A best-seller's stream grows by one event per order, without end. It is never
    replayed whole on each order: the stock last saved is kept in memory and caught up
    with what came since, and when there is no kept copy (a reservation lost a race, or
    the lab was just reopened) it is restored from its newest snapshot. ``snapshots`` is
    where they are kept: in memory by default (one every 100 events); a lab kept in a
    folder passes a :class:`~cqrs_lab.write_side.snapshot_file.SQLiteSnapshots` (one
    every 1,000), so a reopened lab replays fewer than 1,000 events of each stock, not
    100,000.
    """

    def __init__(
        self,
        stock: Mapping[str, int],
        store: InMemoryEventStore | None = None,
        *,
        snapshots: Snapshots | None = None,
    ) -> None:
        for product_id, units in stock.items():
            if units < 0:
                raise ValueError(f"stock of {product_id!r} cannot be negative ({units})")
        self.store = store if store is not None else InMemoryEventStore()
        """Where the stock streams live."""
        self.stocks = KeptAggregates(self.store, Stock, snapshots=snapshots)
        """Loads and saves each product's :class:`Stock`: kept between orders, restored
        from a snapshot otherwise (see :mod:`~cqrs_lab.write_side.kept_aggregates`)."""
        self.products = list(stock)
        """Every product this inventory stocks, in catalogue order."""
        self.stock_ids = {product_id: stock_id_of(product_id) for product_id in stock}
        """The stream of each product's stock (see :func:`stock_id_of`)."""
        for product_id, units in stock.items():
            # A stock the store already holds is loaded (from its snapshot, if there is
            # one) and kept: never read whole just to learn that it exists.
            try:
                self.stocks.keep(self.stocks.get(stock_id_of(product_id)))
            except AggregateNotFoundError:
                self._save(Stock.open(product_id, units))

    async def check_availability(self, product_id: str, quantity: int) -> bool:
        """Whether ``quantity`` units are free *right now*; unknown products raise.

        Only a hint: by the time the caller acts on it, another order may have taken
        them. To take units, :meth:`reserve` them."""
        return self.stock_of(product_id) >= quantity

    def stock_of(self, product_id: str) -> int:
        """Units free to reserve; raises :class:`UnknownProductError` for an unknown product."""
        stock = self.load(product_id)
        self.stocks.keep(stock)
        return stock.available

    def load(self, product_id: str) -> Stock:
        """The product's :class:`Stock`: kept, or from its snapshot and the events after."""
        try:
            return self.stocks.get(self.stock_ids.get(product_id) or stock_id_of(product_id))
        except AggregateNotFoundError:
            raise UnknownProductError(product_id) from None

    async def reserve(self, order_id: UUID, product_id: str, quantity: int) -> None:
        """Set ``quantity`` units aside for ``order_id``, or raise
        :class:`InsufficientInventoryError` (naming what is free) and set nothing aside."""
        while True:  # each lost race means another reservation landed: progress
            stock = self.load(product_id)
            try:
                stock.reserve(order_id, quantity)
            except InsufficientInventoryError:
                self.stocks.keep(stock)  # unchanged: still good for the next load
                raise
            try:
                return self._save(stock)
            except ConcurrencyError:
                continue

    async def release(self, order_id: UUID, product_id: str) -> None:
        """Give back what ``order_id`` holds of ``product_id`` (nothing held: no change)."""
        while True:
            stock = self.load(product_id)
            stock.release(order_id)
            try:
                return self._save(stock)
            except ConcurrencyError:
                continue

    def _save(self, stock: Stock) -> None:
        """Append the stock's new events, expecting the version it was loaded at. No
        command id goes with them: it belongs with the order the command placed."""
        self.stocks.save(stock)

    def all(self) -> dict[str, int]:
        """Every product, id to units free to reserve."""
        return {product_id: self.stock_of(product_id) for product_id in self.products}


class PriceList:
    """What each product costs, as the catalogue says: the only source of an order's prices.

    A product missing here has no list price, and no order for it is taken (labs built
    with ``stock=`` and no ``prices=`` for a product the lab does not know): the order
    handler refuses it with ``UnpricedProductError`` rather than charge the client's price.
    """

    def __init__(self, prices: Mapping[str, float]) -> None:
        self._prices = dict(prices)

    def price_of(self, product_id: str) -> float | None:
        """The list price, or None if the catalogue sets none."""
        return self._prices.get(product_id)

    def all(self) -> dict[str, float]:
        """Every listed product, id to price."""
        return dict(self._prices)
