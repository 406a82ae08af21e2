"""Stock command handlers: what a saga asks of a product's stock.

Both save through the repository, so the command's id is stored with its events: a
command sent twice (a saga redelivered an event, or crashed before recording that it
sent it) is refused by the store the second time and answered with the first result.
A refusal is saved as an event too (``StockReservationRefused``), so it is answered the
same way: the second send is never decided again on different stock.
"""

from __future__ import annotations

from cqrs_lab.messaging.command_bus import CommandHandler
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.commands import ReleaseStock, ReserveStock
from cqrs_lab.orders.errors import InsufficientInventoryError, UnknownProductError
from cqrs_lab.orders.stock import Stock, stock_id_of
from cqrs_lab.write_side.repository import AggregateNotFoundError, EventSourcedRepository


async def _load(stocks: EventSourcedRepository[Stock], product_id: str) -> Stock:
    try:
        return await stocks.get(stock_id_of(product_id))
    except AggregateNotFoundError:
        raise UnknownProductError(product_id) from None


class ReserveStockHandler(CommandHandler):
    """Reserves units for an order, or records that it could not. Raises UnknownProductError."""

    def __init__(self, stocks: EventSourcedRepository[Stock]) -> None:
        self.stocks = stocks

    async def handle(self, command: ReserveStock) -> list[DomainEvent]:
        stock = await _load(self.stocks, command.product_id)
        try:
            stock.reserve(command.order_id, command.quantity)
        except InsufficientInventoryError:
            stock.refuse(command.order_id, command.quantity)
        return await self.stocks.save(stock)


class ReleaseStockHandler(CommandHandler):
    """Gives back what an order holds of a product. Raises UnknownProductError."""

    def __init__(self, stocks: EventSourcedRepository[Stock]) -> None:
        self.stocks = stocks

    async def handle(self, command: ReleaseStock) -> list[DomainEvent]:
        stock = await _load(self.stocks, command.product_id)
        stock.release(command.order_id)
        return await self.stocks.save(stock)
