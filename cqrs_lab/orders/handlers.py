"""Order command handlers: check, load, decide, save, return the new events.

A handler rejects a command by raising *before* anything is saved, so a rejected command
leaves the event store, and therefore every read model, exactly as it was.
"""

from __future__ import annotations

from cqrs_lab.messaging.command_bus import CommandHandler
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.commands import CancelOrder, CreateOrder, ShipOrder
from cqrs_lab.orders.errors import InsufficientInventoryError, OrderNotFoundError
from cqrs_lab.orders.order import Order
from cqrs_lab.orders.services import CustomerService, InventoryService
from cqrs_lab.write_side.repository import AggregateNotFoundError, EventSourcedRepository


class CreateOrderHandler(CommandHandler):
    """Places an order after checking the customer exists and every product is in stock.

    Raises:
        UnknownCustomerError, UnknownProductError, InsufficientInventoryError.
    """

    def __init__(
        self,
        order_repo: EventSourcedRepository[Order],
        inventory_service: InventoryService,
        customer_service: CustomerService | None = None,
    ) -> None:
        self.order_repo = order_repo
        self.inventory = inventory_service
        self.customers = customer_service

    async def handle(self, command: CreateOrder) -> list[DomainEvent]:
        if self.customers is not None:
            await self.customers.get(command.customer_id)  # raises UnknownCustomerError
        # Two lines of the same product draw on the same stock: check their sum.
        wanted: dict[str, int] = {}
        for item in command.items:
            wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
        for product_id, quantity in wanted.items():
            if not await self.inventory.check_availability(product_id, quantity):
                raise InsufficientInventoryError(
                    product_id, quantity, self.inventory.stock_of(product_id)
                )
        order = Order.create(
            customer_id=command.customer_id,
            items=command.items,
            shipping_address=command.shipping_address,
        )
        # The seed returns `order.pending_events` after saving; saving drains them, so
        # return what was saved instead.
        return await self.order_repo.save(order)


class ExistingOrderHandler(CommandHandler):
    """Shared shape of commands on an existing order: load, act, save."""

    def __init__(self, order_repo: EventSourcedRepository[Order]) -> None:
        self.order_repo = order_repo

    async def _load(self, order_id) -> Order:
        try:
            return await self.order_repo.get(order_id)
        except AggregateNotFoundError:
            raise OrderNotFoundError(Order, order_id) from None


class CancelOrderHandler(ExistingOrderHandler):
    """Cancels an order. Raises OrderNotFoundError, InvalidOperationError."""

    async def handle(self, command: CancelOrder) -> list[DomainEvent]:
        order = await self._load(command.order_id)
        order.cancel(command.reason)
        return await self.order_repo.save(order)


class ShipOrderHandler(ExistingOrderHandler):
    """Ships an order. Raises OrderNotFoundError, InvalidOperationError."""

    async def handle(self, command: ShipOrder) -> list[DomainEvent]:
        order = await self._load(command.order_id)
        order.ship()
        return await self.order_repo.save(order)
