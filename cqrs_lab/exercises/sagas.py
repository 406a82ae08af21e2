"""Notebook 12's exercise: the saga's compensation when a line's stock is refused."""

from __future__ import annotations

from typing import Any

from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CreateOrder,
    GetOrderById,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.events import StockReservationRefused
from cqrs_lab.orders.fulfilment import OrderFulfilment

_HINTS = (
    "Undo what the order holds, then record the outcome: one ReleaseStock per product in "
    'row["reserved"], then a DeclineOrder.',
    '[ReleaseStock(product_id=p, order_id=row["order_id"]) for p in dict.fromkeys('
    'row["reserved"])] + [DeclineOrder(order_id=row["order_id"], reason=...)]',
)


def _saga_answering(answer: Any) -> type[OrderFulfilment]:
    """The lab's saga, with the learner's answer in place of its compensation."""

    class LearnersFulfilment(OrderFulfilment):
        def apply(self, row, event):
            if isinstance(event, StockReservationRefused) and row["status"] == "reserving":
                for command in answer(dict(row), event):
                    self.send(event, command)
                return {**row, "status": "declined"}
            return super().apply(row, event)

    return LearnersFulfilment


def _run(answer: Any, lines: list[tuple[str, int]]):
    """A saga lab running the learner's compensation; one order of ``lines``, caught up."""
    lab = build_lab(seed=120, saga=True)
    lab.projector.projections["order_fulfilment"] = _saga_answering(answer)(lab.command_bus)
    items = [{"product_id": p, "quantity": q} for p, q in lines]
    placed = lab.dispatch(CreateOrder(customer_id=ADA, items=items, shipping_address=DEMO_ADDRESS))
    lab.catch_up()
    order = lab.query(GetOrderById(order_id=created_order_id(placed)))
    return lab, str(order.status)


@exercise("12-compensate", "Compensation: a refused line releases what was reserved", hints=_HINTS)
def _compensate(answer: Any) -> None:
    lab, status = _run(answer, [("MIDNIGHT-LAMP", 2), ("CRUNCHY-ARMCHAIR", 9)])
    held = {p: n for p, n in lab.inventory.all().items() if n != lab.catalogue.stock[p]}
    if held:
        product, free = next(iter(held.items()))
        taken = lab.catalogue.stock[product] - free
        raise NotYet(
            f"the order was refused its armchairs, yet {taken} {product} stay reserved for it "
            "(nobody else can buy them)",
            "Compensation undoes every step that succeeded: each product the order holds goes "
            "back on the shelf.",
            'One ReleaseStock(product_id=p, order_id=row["order_id"]) for each p in '
            'row["reserved"].',
        )
    if status != "declined":
        raise NotYet(
            f"the stock went back, but the order is still {status}: the customer never hears",
            "Compensation ends by recording the outcome on the order itself.",
            'Add DeclineOrder(order_id=row["order_id"], reason=...) after the releases.',
        )
    reasons = [r.event.reason for r in lab.event_store.read_all() if r.type == "OrderDeclined"]
    if not any("CRUNCHY-ARMCHAIR" in reason for reason in reasons):
        raise NotYet(
            "the order is declined without saying which product was short",
            "A reason names what went wrong, so the customer knows what to change.",
            'reason=f"{refused.product_id}: requested {refused.requested}, available '
            '{refused.available}"',
        )
    _, alone = _run(answer, [("CRUNCHY-ARMCHAIR", 9)])
    if alone != "declined":
        raise NotYet(
            f"an order whose only line was refused (nothing reserved) is {alone}, not declined",
            "With nothing reserved there is nothing to release, but still an order to decline.",
            "Release what row['reserved'] lists (maybe nothing), then always DeclineOrder.",
        )
