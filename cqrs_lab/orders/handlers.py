"""Order command handlers: check, load, decide, save, return the new events.

A handler rejects a command by raising *before* the order is saved, so a rejected command
leaves the order log, and therefore every read model, exactly as it was.
"""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.messaging.command_bus import CommandHandler
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.catalogue import LIST_PRICES
from cqrs_lab.orders.commands import (
    CancelOrder,
    ConfirmOrder,
    CreateOrder,
    DeclineOrder,
    OrderLine,
    ShipOrder,
)
from cqrs_lab.orders.errors import OrderNotFoundError, PriceMismatchError, UnpricedProductError
from cqrs_lab.orders.order import Order
from cqrs_lab.orders.services import CustomerService, InventoryService, PriceList
from cqrs_lab.orders.values import OrderItem
from cqrs_lab.write_side.repository import AggregateNotFoundError, EventSourcedRepository


class CreateOrderHandler(CommandHandler):
    """Places an order: prices each line from the catalogue, takes its stock, saves it.

    **Prices.** What the customer pays is the catalogue's price, never the client's: the
    guide's command carried ``unit_price`` and stored whatever came (1.00 for a 249.00
    armchair). A line may still carry the price the client showed; if it disagrees with
    the catalogue the order is refused with :class:`PriceMismatchError` (product, price
    sent, catalogue price) rather than quietly charging a price the customer never saw. A
    product the catalogue does not price is refused outright (:class:`UnpricedProductError`).
    Keeping the field optional, not removing it, also keeps every client that sends the
    right price working.

    ``price_list`` defaults to the lab's list prices (:data:`LIST_PRICES`), never to
    "none": a handler wired by hand charges what the catalogue says, like the lab's own.

    **Stock.** Each product's units are *reserved* (``InventoryService.reserve``), not only
    checked: two orders racing for the last unit cannot both have it. The order is saved
    after its stock; if anything fails on the way, what was reserved is released before
    the error leaves. (A process that dies between the two writes leaves units reserved
    for an order that does not exist: notebook 12's saga closes that gap.) With
    ``reserve_stock=False`` the handler only places the order and a saga reserves.

    Raises:
        UnknownCustomerError, UnknownProductError, UnpricedProductError,
        PriceMismatchError, InsufficientInventoryError.
    """

    def __init__(
        self,
        order_repo: EventSourcedRepository[Order],
        inventory_service: InventoryService,
        customer_service: CustomerService | None = None,
        price_list: PriceList | None = None,
        *,
        reserve_stock: bool = True,
    ) -> None:
        self.order_repo = order_repo
        self.inventory = inventory_service
        self.customers = customer_service
        self.prices = price_list if price_list is not None else PriceList(LIST_PRICES)
        self.reserve_stock = reserve_stock

    async def handle(self, command: CreateOrder) -> list[DomainEvent]:
        if self.customers is not None:
            await self.customers.get(command.customer_id)  # raises UnknownCustomerError
        items = [self.priced(line) for line in command.items]
        order = Order.create(
            customer_id=command.customer_id,
            items=items,
            shipping_address=command.shipping_address,
        )
        if not self.reserve_stock:
            for item in items:  # a product the warehouse does not stock is refused now
                self.inventory.stock_of(item.product_id)
            return await self.order_repo.save(order)
        # Two lines of the same product draw on the same stock: reserve their sum.
        wanted: dict[str, int] = {}
        for item in items:
            wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
        reserved: list[str] = []
        try:
            for product_id, quantity in wanted.items():
                await self.inventory.reserve(order.id, product_id, quantity)
                reserved.append(product_id)
            # The seed returns `order.pending_events` after saving; saving drains them, so
            # return what was saved instead.
            return await self.order_repo.save(order)
        except BaseException:
            for product_id in reserved:  # give back what this attempt took
                await self.inventory.release(order.id, product_id)
            raise

    def priced(self, line: OrderLine) -> OrderItem:
        """The line at the catalogue's price; refuses a line whose price disagrees.

        A product the catalogue does not price is refused even when the line carries a
        price (:class:`UnpricedProductError`, naming the product): taking the client's
        price there would reopen the guide's hole for every product someone forgot to
        price. Refusing here, rather than refusing to build a lab whose stock has a product
        without a price, keeps labs that stock such a product (to show this very error)
        buildable; the first order for it says what is missing.
        """
        listed = self.prices.price_of(line.product_id)
        if listed is None:
            self.inventory.stock_of(line.product_id)  # not stocked either: UnknownProductError
            raise UnpricedProductError(line.product_id, line.unit_price)
        if line.unit_price is not None and line.unit_price != listed:
            raise PriceMismatchError(line.product_id, line.unit_price, listed)
        return OrderItem(product_id=line.product_id, quantity=line.quantity, unit_price=listed)


class ExistingOrderHandler(CommandHandler):
    """Shared shape of commands on an existing order: load, act, save."""

    def __init__(self, order_repo: EventSourcedRepository[Order]) -> None:
        self.order_repo = order_repo

    async def _load(self, order_id: UUID) -> Order:
        try:
            return await self.order_repo.get(order_id)
        except AggregateNotFoundError:
            raise OrderNotFoundError(Order, order_id) from None


class CancelOrderHandler(ExistingOrderHandler):
    """Cancels an order and gives its stock back (when given the inventory; where a saga
    reserves stock, the saga gives it back). Raises OrderNotFoundError, InvalidOperationError."""

    def __init__(
        self,
        order_repo: EventSourcedRepository[Order],
        inventory_service: InventoryService | None = None,
    ) -> None:
        super().__init__(order_repo)
        self.inventory = inventory_service

    async def handle(self, command: CancelOrder) -> list[DomainEvent]:
        order = await self._load(command.order_id)
        order.cancel(command.reason)
        events = await self.order_repo.save(order)
        if self.inventory is not None:
            for product_id in dict.fromkeys(item.product_id for item in order.items):
                await self.inventory.release(order.id, product_id)
        return events


class ShipOrderHandler(ExistingOrderHandler):
    """Ships an order. Raises OrderNotFoundError, InvalidOperationError."""

    async def handle(self, command: ShipOrder) -> list[DomainEvent]:
        order = await self._load(command.order_id)
        order.ship()
        return await self.order_repo.save(order)


class ConfirmOrderHandler(ExistingOrderHandler):
    """Confirms an order whose stock is reserved. Raises InvalidOperationError."""

    async def handle(self, command: ConfirmOrder) -> list[DomainEvent]:
        order = await self._load(command.order_id)
        order.confirm()
        return await self.order_repo.save(order)


class DeclineOrderHandler(ExistingOrderHandler):
    """Declines an order whose stock could not be reserved. Raises InvalidOperationError."""

    async def handle(self, command: DeclineOrder) -> list[DomainEvent]:
        order = await self._load(command.order_id)
        order.decline(command.reason)
        return await self.order_repo.save(order)
