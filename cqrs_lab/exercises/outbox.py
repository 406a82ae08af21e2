"""Notebook 14's exercise: a consumer that is not a projector drops the relay's repeats."""

from __future__ import annotations

from typing import Any

from cqrs_lab.breaking.faults import InjectedCrash
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, LAMP
from cqrs_lab.messaging.outbox import Broker, Relay
from cqrs_lab.orders import ADA, DEMO_CUSTOMERS, DEMO_STOCK, GRACE
from cqrs_lab.orders.outbox_orders import OutboxOrders


def _deliveries(*, crash: bool) -> list:
    """What a broker received for Ada's, Grace's and Ada's second order; with ``crash``
    the relay died after publishing position 1 and a restarted one published it again."""
    shop = OutboxOrders(DEMO_CUSTOMERS, DEMO_STOCK)
    for customer, item in [(ADA, ARMCHAIR), (GRACE, LAMP), (ADA, LAMP)]:
        shop.place_order(customer, [item])
    broker = Broker()
    if crash:
        try:
            Relay(shop.outbox, broker, crash_after_publish=1).run()
        except InjectedCrash:
            pass
    Relay(shop.outbox, broker).run()  # publishes everything not marked yet
    return broker.deliveries


@exercise(
    "14-confirmation-emails",
    "An email sender that sends each order's confirmation once, however often it is delivered",
    hints=(
        "The relay delivers at least once; positions are gap-free and increase, so remember "
        "the last position handled, as a projector's checkpoint does.",
        "if recorded.position <= self.last_position: return; then send for an OrderCreated; "
        "then self.last_position = recorded.position.",
    ),
)
def _emails(answer: Any) -> None:
    want = sorted(map(str, [ADA, GRACE, ADA]))
    clean = answer()
    for recorded in _deliveries(crash=False):
        clean.handle(recorded)
    if sorted(map(str, clean.sent)) != want:
        names = [DEMO_CUSTOMERS.get(c, str(c)) for c in clean.sent]
        raise NotYet(
            f"with every event delivered once, the emails went to {names}, want Ada twice "
            "(she placed two orders) and Grace once",
            "One email per OrderCreated, to its customer_id: an order, not a customer, is "
            "what must not repeat.",
            "if isinstance(recorded.event, OrderCreated): self.sent.append(recorded.event."
            "customer_id)",
        )
    emails = answer()
    for recorded in _deliveries(crash=True):
        emails.handle(recorded)
    if len(emails.sent) > 3:
        raise NotYet(
            f"the relay crashed after publishing Ada's first OrderCreated and published it "
            f"again, and {len(emails.sent)} emails went out for 3 orders",
            "An outbox delivers at least once: the consumer must drop what it has seen.",
            "Remember the last position handled and ignore a delivery at or below it.",
        )
    if sorted(map(str, emails.sent)) != want:
        raise NotYet(
            f"after a repeated delivery {len(emails.sent)} of 3 emails were sent",
            "Drop only positions already handled: the next one is new.",
            "Compare with <=, and move last_position after each delivery you handle.",
        )
