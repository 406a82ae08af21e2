"""The ``Order`` aggregate: the seed's write model, event-sourced and with its bugs fixed.

Every change goes through ``_raise_event``; ``_apply`` is the single place that says what
each event does to the order's state, used both for new events and for replaying history.
Events are built with ``version=self.next_version``: ``_raise_event`` would stamp it
anyway, but an event born with its version need not be copied to get it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.errors import InvalidOperationError
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.orders.values import Address, OrderItem, OrderStatus
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.write_side.aggregate import Aggregate

E = TypeVar("E", bound=DomainEvent)

# The statuses, looked up once: on Python 3.11 ``OrderStatus.PENDING`` runs a Python-level
# descriptor on every access, and the write path asks for a status several times per order.
PENDING, CANCELLED, SHIPPED = OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.SHIPPED


class Order(Aggregate):
    """An order: placed with items, then cancelled or shipped (not both).

    Raises:
        InvalidOperationError: when a command breaks an invariant.
    """

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self._init_state()

    def _init_state(self) -> None:
        self.customer_id: UUID | None = None
        self.items: list[OrderItem] = []
        self.status: OrderStatus | None = None
        self.shipping_address: Address | None = None

    # -- commands -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        customer_id: UUID,
        items: Iterable[OrderItem],
        shipping_address: Address,
        order_id: UUID | None = None,
    ) -> Order:
        """Place an order. ``OrderCreated`` comes first, then one ``OrderItemAdded`` per
        item: the seed raised the items first (its bug 1), so a projection saw items for
        an order that did not exist yet and dropped them."""
        items = list(items)
        if not items:
            raise InvalidOperationError("an order needs at least one item")
        order = cls(order_id or defaults.new_id())
        order._raise_event(
            _validated(
                OrderCreated,
                {
                    "order_id": order.id,
                    "customer_id": customer_id,
                    "shipping_address": shipping_address,
                    "version": order.next_version,
                },
            )
        )
        for item in items:
            order.add_item(item)
        return order

    def add_item(self, item: OrderItem) -> None:
        """Add a line to a pending order."""
        self._require_status(PENDING, "add an item to")
        self._raise_event(
            _validated(
                OrderItemAdded,
                {
                    "order_id": self.id,
                    "product_id": item.product_id,
                    "quantity": item.quantity,
                    "unit_price": item.unit_price,
                    "version": self.next_version,
                },
            )
        )

    def cancel(self, reason: str) -> None:
        """Cancel a pending order; a shipped or already cancelled order cannot be cancelled."""
        if self.status == SHIPPED:
            raise InvalidOperationError(f"Cannot cancel shipped order {self.id}")
        self._require_status(PENDING, "cancel")
        self._raise_event(
            OrderCancelled(order_id=self.id, reason=reason, version=self.next_version)
        )

    def ship(self) -> None:
        """Ship a pending order; a cancelled or already shipped order cannot be shipped."""
        if self.status == CANCELLED:
            raise InvalidOperationError(f"Cannot ship cancelled order {self.id}")
        self._require_status(PENDING, "ship")
        self._raise_event(OrderShipped(order_id=self.id, version=self.next_version))

    # -- state ----------------------------------------------------------------------------

    @property
    def total_amount(self) -> float:
        """Sum of every line's quantity times unit price."""
        return sum(item.subtotal for item in self.items)

    def _require_status(self, status: OrderStatus, action: str) -> None:
        if self.status != status:
            raise InvalidOperationError(f"Cannot {action} {self.status} order {self.id}")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case OrderCreated():
                self.customer_id = event.customer_id
                self.shipping_address = event.shipping_address
                self.status = PENDING
            case OrderItemAdded():
                self.items.append(_order_item(event.product_id, event.quantity, event.unit_price))
            case OrderCancelled():
                self.status = CANCELLED
            case OrderShipped():
                self.status = SHIPPED
            case _:
                raise TypeError(f"Order cannot apply {type(event).__name__}")

    def __repr__(self) -> str:
        return (
            f"Order(id={self.id}, status={self.status}, items={len(self.items)}, "
            f"total_amount={self.total_amount:.2f}, version={self.version})"
        )


def _validated(event_type: type[E], fields: dict[str, Any]) -> E:
    """``event_type(**fields)``: the same validation, errors and result, a third cheaper.

    Pydantic's ``BaseModel.__init__`` is a Python frame around the model's compiled
    validator; placing an order raises four events, so the write path calls the
    validator directly for them.
    """
    return event_type.__pydantic_validator__.validate_python(fields)


@lru_cache(maxsize=1024)
def _order_item(product_id: str, quantity: int, unit_price: float) -> OrderItem:
    """The validated ``OrderItem`` for one line, shared by every order that has that line.

    Value objects are immutable and compared by value, so two orders for one armchair at
    one price can hold the same instance: placing or replaying an order then validates
    each distinct line once, not once per event. A line not seen before is validated as
    usual; an invalid one raises and is not remembered.
    """
    return OrderItem(product_id=product_id, quantity=quantity, unit_price=unit_price)
