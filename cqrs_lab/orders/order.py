"""The ``Order`` aggregate: the seed's write model, event-sourced and with its bugs fixed.

Every change goes through ``_raise_event``, which states what happened; the base class
fills in the order's id, the version and the time. ``_apply`` is the single place that
says what each event does to the order's state, used both for new events and for
replaying history.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.errors import InvalidOperationError
from cqrs_lab.orders.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDeclined,
    OrderItemAdded,
    OrderShipped,
)
from cqrs_lab.orders.values import Address, OrderItem, OrderStatus
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.write_side.aggregate import Aggregate


class Order(Aggregate):
    """An order: placed with items, then cancelled or shipped (not both). Where a saga
    reserves its stock (notebook 12), it is confirmed or declined in between.

    Raises:
        InvalidOperationError: when a command breaks an invariant.
    """

    id_field = "order_id"

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
        order._raise_event(OrderCreated, customer_id=customer_id, shipping_address=shipping_address)
        for item in items:
            order.add_item(item)
        return order

    def add_item(self, item: OrderItem) -> None:
        """Add a line to a pending order."""
        self._require_status(OrderStatus.PENDING, "add an item to")
        self._raise_event(
            OrderItemAdded,
            product_id=item.product_id,
            quantity=item.quantity,
            unit_price=item.unit_price,
        )

    def cancel(self, reason: str) -> None:
        """Cancel a pending or confirmed order; a shipped or already cancelled order
        cannot be cancelled."""
        if self.status == OrderStatus.SHIPPED:
            raise InvalidOperationError(f"Cannot cancel shipped order {self.id}")
        self._require_status((OrderStatus.PENDING, OrderStatus.CONFIRMED), "cancel")
        self._raise_event(OrderCancelled, reason=reason)

    def ship(self) -> None:
        """Ship a pending or confirmed order; a cancelled or already shipped order cannot
        be shipped."""
        if self.status == OrderStatus.CANCELLED:
            raise InvalidOperationError(f"Cannot ship cancelled order {self.id}")
        self._require_status((OrderStatus.PENDING, OrderStatus.CONFIRMED), "ship")
        self._raise_event(OrderShipped)

    def confirm(self) -> None:
        """Confirm a pending order: its stock is reserved."""
        self._require_status(OrderStatus.PENDING, "confirm")
        self._raise_event(OrderConfirmed)

    def decline(self, reason: str) -> None:
        """Decline a pending order: its stock could not be reserved."""
        self._require_status(OrderStatus.PENDING, "decline")
        self._raise_event(OrderDeclined, reason=reason)

    # -- state ----------------------------------------------------------------------------

    @property
    def total_amount(self) -> float:
        """Sum of every line's quantity times unit price."""
        return sum(item.subtotal for item in self.items)

    def _require_status(self, status: OrderStatus | tuple[OrderStatus, ...], action: str) -> None:
        allowed = status if isinstance(status, tuple) else (status,)
        if self.status not in allowed:
            raise InvalidOperationError(f"Cannot {action} {self.status} order {self.id}")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case OrderCreated():
                self.customer_id = event.customer_id
                self.shipping_address = event.shipping_address
                self.status = OrderStatus.PENDING
            case OrderItemAdded():
                self.items.append(
                    OrderItem(
                        product_id=event.product_id,
                        quantity=event.quantity,
                        unit_price=event.unit_price,
                    )
                )
            case OrderCancelled():
                self.status = OrderStatus.CANCELLED
            case OrderShipped():
                self.status = OrderStatus.SHIPPED
            case OrderConfirmed():
                self.status = OrderStatus.CONFIRMED
            case OrderDeclined():
                self.status = OrderStatus.DECLINED
            case _:
                raise TypeError(f"Order cannot apply {type(event).__name__}")

    def __repr__(self) -> str:
        return (
            f"Order(id={self.id}, status={self.status}, items={len(self.items)}, "
            f"total_amount={self.total_amount:.2f}, version={self.version})"
        )
