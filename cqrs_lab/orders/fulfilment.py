"""``order_fulfilment``: the saga that takes a placed order to confirmed, or declined.

An order and the stock of each of its products are separate aggregates; no single save
covers them all. The saga keeps them in step by reacting to events, one row per order:

- an item was added: reserve its units (``ReserveStock``);
- every line reserved: confirm the order (``ConfirmOrder``);
- a line refused: give back what was reserved (``ReleaseStock``, the compensation) and
  decline the order (``DeclineOrder``);
- a reservation that lands after the order was declined or cancelled: give it back;
- the order cancelled: give back all it holds.

It runs on the projector like any read model and sends its commands through
:meth:`~cqrs_lab.read_side.process_manager.ProcessManager.send`, whose derived command ids
make a redelivered event or a crash between two steps harmless (notebook 12).
"""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.commands import ConfirmOrder, DeclineOrder, ReleaseStock, ReserveStock
from cqrs_lab.orders.errors import OrderRejected
from cqrs_lab.orders.events import (
    OrderCancelled,
    OrderCreated,
    OrderItemAdded,
    StockReservationRefused,
    StockReserved,
)
from cqrs_lab.read_side.process_manager import ProcessManager
from cqrs_lab.read_side.projection import Row, Table


class OrderFulfilment(ProcessManager):
    """Reserves each order's stock, then confirms the order or declines it."""

    name = "order_fulfilment"
    tables = (
        Table(
            "order_fulfilment",
            key="order_id",
            columns={
                "order_id": "UUID",
                "status": "VARCHAR",
                "lines": "INTEGER",
                "reserved": "VARCHAR[]",
            },
        ),
    )
    handles = (OrderCreated, OrderItemAdded, StockReserved, StockReservationRefused, OrderCancelled)
    refusals = (OrderRejected,)  # e.g. confirming an order cancelled meanwhile

    def key_of(self, event: DomainEvent) -> UUID:
        return event.order_id

    def apply(self, row: Row | None, event: DomainEvent) -> Row:
        match event:
            case OrderCreated():
                return {
                    "order_id": event.order_id,
                    "status": "reserving",
                    "lines": 0,
                    "reserved": [],
                }
            case OrderItemAdded():
                self.send(
                    event,
                    ReserveStock(
                        product_id=event.product_id,
                        order_id=event.order_id,
                        quantity=event.quantity,
                    ),
                )
                return {**row, "lines": row["lines"] + 1}
            case StockReserved():
                row = {**row, "reserved": [*row["reserved"], event.product_id]}
                if row["status"] != "reserving":  # declined or cancelled meanwhile
                    self.send(
                        event, ReleaseStock(product_id=event.product_id, order_id=event.order_id)
                    )
                elif len(row["reserved"]) == row["lines"]:
                    self.send(event, ConfirmOrder(order_id=event.order_id))
                    row["status"] = "confirmed"
                return row
            case StockReservationRefused():
                if row["status"] != "reserving":
                    return row
                self.release_all(event, row)
                reason = (
                    f"{event.product_id}: requested {event.requested}, available {event.available}"
                )
                self.send(event, DeclineOrder(order_id=event.order_id, reason=reason))
                return {**row, "status": "declined"}
            case OrderCancelled():
                self.release_all(event, row)
                return {**row, "status": "cancelled"}
            case _:
                raise ValueError(f"order_fulfilment cannot apply {type(event).__name__}")

    def release_all(self, event: DomainEvent, row: Row) -> None:
        """Compensate: give back every product this order holds (each once)."""
        for product_id in dict.fromkeys(row["reserved"]):
            self.send(event, ReleaseStock(product_id=product_id, order_id=row["order_id"]))
