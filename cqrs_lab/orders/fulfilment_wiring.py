"""Wiring for a lab whose stock a saga reserves (``build_lab(saga=True)``, notebook 12).

Kept apart from ``build_lab`` so the default wiring reads as before: here the order
handler only places orders, the stock streams share the lab's event log, and the stock
and order-outcome commands the saga sends get their handlers.
"""

from __future__ import annotations

from cqrs_lab.messaging.command_bus import CommandBus
from cqrs_lab.orders.commands import ConfirmOrder, DeclineOrder, ReleaseStock, ReserveStock
from cqrs_lab.orders.handlers import ConfirmOrderHandler, DeclineOrderHandler
from cqrs_lab.orders.order import Order
from cqrs_lab.orders.stock import Stock
from cqrs_lab.orders.stock_handlers import ReleaseStockHandler, ReserveStockHandler
from cqrs_lab.write_side.kept_aggregates import KeptAggregates, KeptRepository
from cqrs_lab.write_side.repository import EventSourcedRepository


def register_saga_commands(
    command_bus: CommandBus,
    event_store,
    orders: EventSourcedRepository[Order],
    kept_stocks: KeptAggregates[Stock] | None = None,
) -> None:
    """Give the saga's four commands their handlers on ``command_bus``.

    ``kept_stocks`` (the inventory's, ``inventory.stocks``) lets every ``ReserveStock``
    load the product's stock kept or from its snapshot instead of replaying its stream,
    which grows by one event per order; without it each load replays the whole stream.
    """
    stocks: EventSourcedRepository[Stock] = (
        EventSourcedRepository(event_store, Stock)
        if kept_stocks is None
        else KeptRepository(kept_stocks)
    )
    command_bus.register(ReserveStock, ReserveStockHandler(stocks))
    command_bus.register(ReleaseStock, ReleaseStockHandler(stocks))
    command_bus.register(ConfirmOrder, ConfirmOrderHandler(orders))
    command_bus.register(DeclineOrder, DeclineOrderHandler(orders))
