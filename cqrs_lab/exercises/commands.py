"""Notebook 01's exercises: a validated command, a refusing handler, a retry, bug 4."""

from __future__ import annotations

import inspect
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from cqrs_lab import Command, EventPublisher, NoHandlerFoundError
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, KEYBOARDS, ORDER_ID, place
from cqrs_lab.messaging.registry import run_sync
from cqrs_lab.orders import (
    ADA,
    GRACE,
    CancelOrder,
    CreateOrder,
    CreateOrderHandler,
    InsufficientInventoryError,
    OrderCancelled,
    OrderItem,
    OrderRejected,
    PriceList,
    ShipOrder,
    build_lab,
    created_order_id,
)


def _fields_refused(command_type: type, **fields: Any) -> list[str]:
    """The fields pydantic names when building ``command_type`` from ``fields`` ([]: built)."""
    try:
        command_type(**fields)
    except ValidationError as error:
        return sorted({".".join(map(str, e["loc"])) for e in error.errors()})
    return []


@exercise(
    "01-refund-command",
    "A command with validation: RefundOrder refuses a bad amount or reason, naming the field",
    hints=(
        "A command checks its own fields as it is built: a field validator that raises "
        "ValueError makes pydantic refuse the command and name that field.",
        "In amount's validator: if amount <= 0 or round(amount, 2) != amount: raise "
        "ValueError(...); in reason's: if not reason.strip(): raise ValueError(...); both "
        "end with return the value.",
    ),
)
def _refund_command(answer: Any) -> None:
    if not (isinstance(answer, type) and issubclass(answer, Command)):
        raise NotYet(
            f"{answer!r} is not a Command class",
            "Check the class itself, not an instance: check(..., RefundOrder).",
            "class RefundOrder(Command): ...",
        )
    good = {"order_id": ORDER_ID, "amount": 12.5, "reason": "scratched on arrival"}
    refused = _fields_refused(answer, **good)
    if refused:
        raise NotYet(
            f"a valid refund (12.50, 'scratched on arrival') was refused, naming {refused}",
            "Refuse only what is wrong: a positive amount in whole cents and a reason are fine.",
            "Raise ValueError only inside the if; otherwise return the value.",
        )
    built = answer(**good)
    if (built.amount, built.reason) != (12.5, "scratched on arrival"):
        raise NotYet(
            f"a valid refund of 12.50 came out with amount {built.amount!r} and reason "
            f"{built.reason!r}",
            "A pydantic field validator's return value becomes the field's value.",
            "End each validator with return amount (or return reason).",
        )
    for changed, what, field in [
        ({"amount": 0.0}, "a refund of 0.00", "amount"),
        ({"amount": -3.0}, "a refund of -3.00", "amount"),
        ({"amount": 12.345}, "a refund of 12.345 (a fraction of a cent)", "amount"),
        ({"reason": "   "}, "a refund whose reason is blank", "reason"),
    ]:
        refused = _fields_refused(answer, **(good | changed))
        if refused != [field]:
            named = f"naming {refused}" if refused else "with no complaint"
            raise NotYet(
                f"{what} was accepted {named}" if not refused else f"{what} was refused {named}",
                f"The command must refuse it at the door, naming {field!r}: no handler, "
                "store or read model should ever see it.",
                f"In {field}'s validator, raise ValueError for it (a reason of spaces is "
                "blank: test reason.strip()).",
            )
    both = _fields_refused(answer, **(good | {"amount": 0.0, "reason": ""}))
    if both != ["amount", "reason"]:
        raise NotYet(
            f"a refund with a zero amount and no reason named {both}, want both fields",
            "pydantic reports every field's problem at once, if each field checks its own.",
            "One field_validator per field, not one model validator that stops at the first.",
        )


@exercise(
    "01-owner-cancel",
    "A handler that refuses a cancel sent by someone else, naming user_id",
    hints=(
        "Load the order first: only the order knows its customer. Compare it with the "
        "command's user_id, and refuse before anything is saved.",
        "order = await self._load(command.order_id); if command.user_id != "
        'order.customer_id: raise InvalidOperationError(f"user_id {command.user_id} ..."); '
        "return await super().handle(command).",
    ),
)
def _owner_cancel(answer: Any) -> None:
    lab = build_lab(seed=11)
    lab.command_bus.register(CancelOrder, answer(lab.orders, lab.inventory))
    order_id = created_order_id(lab.dispatch(place(ADA, ARMCHAIR)))
    for sender, who in [(GRACE, "Grace"), (None, "a CancelOrder with no user_id")]:
        head = lab.event_store.head
        try:
            lab.dispatch(CancelOrder(order_id=order_id, reason="not mine", user_id=sender))
        except OrderRejected as refused:
            if lab.event_store.head != head:
                raise NotYet(
                    "the refused cancel was stored anyway (its OrderCancelled is in the store)",
                    "A handler refuses before it saves: once saved, events are history.",
                    "Check the user before calling super().handle(command), which saves.",
                ) from None
            if "user_id" not in str(refused):
                raise NotYet(
                    f"the refusal does not name the field at fault: {refused}",
                    "An error names the field, so the caller knows what to change.",
                    'Put "user_id" and the id sent in the message.',
                ) from None
            continue
        subject = "Grace" if sender else who
        raise NotYet(
            f"{subject} cancelled Ada's order",
            "Only the customer who placed an order may cancel it; nobody at all is not "
            "that customer either.",
            "Compare command.user_id with order.customer_id, and refuse when they differ "
            "(None differs too).",
        )
    events = lab.dispatch(CancelOrder(order_id=order_id, reason="changed my mind", user_id=ADA))
    if [type(e) for e in events] != [OrderCancelled] or lab.event_store.head != 3:
        raise NotYet(
            "Ada could not cancel her own order",
            "The owner's cancel goes through the usual handler.",
            "return await super().handle(command)",
        )
    if lab.inventory.stock_of("CRUNCHY-ARMCHAIR") != 5:
        raise NotYet(
            "Ada's cancelled order kept its armchair reserved",
            "The usual cancel handler gives the stock back: let it do the work.",
            "return await super().handle(command), not order.cancel(...) and save yourself.",
        )


class _PlaceOrder(CreateOrder):
    """The check's own PlaceOrder: a CreateOrder with the client's key for the request."""

    request_id: str


@exercise(
    "01-idempotent-place",
    "An idempotent handler: a retried request is answered, not placed twice",
    hints=(
        "A retry is a new command object (a new command_id) for the same request: the "
        "handler recognises it by the client's request_id and answers with what it stored "
        "the first time.",
        "if command.request_id in self.answered: return self.answered[command.request_id]; "
        "otherwise events = await super().handle(command), remember them, return them.",
    ),
)
def _idempotent_place(answer: Any) -> None:
    lab = build_lab(seed=13)
    prices = PriceList(lab.catalogue.prices)
    lab.command_bus.register(_PlaceOrder, answer(lab.orders, lab.inventory, lab.customers, prices))

    def send(request_id: str, *items: OrderItem) -> list:
        command = place(ADA, *items)
        return lab.dispatch(_PlaceOrder(**dict(command), request_id=request_id))

    first = send("ada-0001", ARMCHAIR)
    if lab.event_store.head != 2:
        raise NotYet(
            f"a first request stored {lab.event_store.head} events, want 2 (created, 1 item)",
            "A request seen for the first time is placed as usual.",
            "events = await super().handle(command)",
        )
    again = send("ada-0001", ARMCHAIR)
    if lab.event_store.head != 2:
        raise NotYet(
            "a retried request (same request_id, new command_id) placed a second order: "
            f"{lab.event_store.head} events in the store, want 2",
            "The client rebuilt the command, so its command_id is new: only the request_id "
            "says it is the same request.",
            "Remember the events by command.request_id (not command_id) and return them.",
        )
    if list(again) != list(first):
        raise NotYet(
            f"the retry was answered with {len(again)} events unlike the first answer",
            "A retry gets the first answer: the client may have lost it.",
            "Return the very events the first handling stored.",
        )
    send("ada-0002", ARMCHAIR)
    if lab.event_store.head != 4:
        raise NotYet(
            "a new request for the same armchair was taken for a retry",
            "Two requests may order the same thing: the key is the request_id, not the "
            "command's content.",
            "Look up command.request_id only.",
        )
    # 5 armchairs, 2 taken: a request for 4 is refused, then succeeds once one comes back.
    four = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=4, unit_price=249.0)
    try:
        send("ada-0003", four)
    except InsufficientInventoryError:
        pass
    lab.dispatch(CancelOrder(order_id=created_order_id(first), reason="changed my mind"))
    head = lab.event_store.head
    retried = send("ada-0003", four)
    if lab.event_store.head != head + 2 or not retried:
        raise NotYet(
            "a request that was refused (no stock) was not tried again on its retry",
            "Only remember an answer once the request succeeded: a refused request stored "
            "nothing, so a retry must be handled afresh.",
            "Remember the events after await super().handle(command) returned them.",
        )


@exercise(
    "01-publishing-bus",
    "Fix the seed's bug 4: a command bus whose publisher is set",
    hints=(
        "The seed's dispatch publishes through self.event_publisher, which nothing sets: "
        "the bus must be given its publisher when it is made.",
        "In __init__: self.event_publisher = event_publisher and self._handlers = {}; "
        "dispatch: find the handler (else NoHandlerFoundError), events = await "
        "handler.handle(command), await self.event_publisher.publish(event) for each.",
    ),
)
def _publishing_bus(answer: Any) -> None:
    lab = build_lab(seed=14)
    publisher = EventPublisher()
    heard: list = []
    publisher.subscribe(heard.append)
    bus = answer(publisher)
    prices = PriceList(lab.catalogue.prices)
    bus.register(CreateOrder, CreateOrderHandler(lab.orders, lab.inventory, lab.customers, prices))

    def dispatch(command: Command) -> Any:
        result = bus.dispatch(command)
        return run_sync(result) if inspect.isawaitable(result) else result

    try:
        events = dispatch(place(ADA, ARMCHAIR, KEYBOARDS))
    except AttributeError as missing:
        raise NotYet(
            f"the handler stored the order ({lab.event_store.head} events in the store), "
            f"then dispatch failed: {missing} (the seed's bug 4): the caller got an error "
            "for an order that exists",
            "A bus that publishes needs its publisher from the start: whoever builds the bus "
            "hands it over.",
            "self.event_publisher = event_publisher in __init__.",
        ) from None
    if list(heard) != list(events or []) or len(heard) != 3:
        raise NotYet(
            f"subscribers heard {[type(e).__name__ for e in heard]}, want the 3 events the "
            "handler stored, in order",
            "Every event the handler returns is published, once, after it was stored.",
            "for event in events: await self.event_publisher.publish(event)",
        )
    six = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=6, unit_price=249.0)
    try:
        dispatch(place(ADA, six))
    except InsufficientInventoryError:
        pass
    else:
        raise NotYet(
            "a refused order (6 armchairs, 4 in stock) did not raise to the caller",
            "The handler's refusal is the caller's answer: let it through.",
            "Do not catch the handler's errors in dispatch.",
        )
    if len(heard) != 3:
        raise NotYet(
            "a refused order published events",
            "Nothing was stored, so there is nothing to tell.",
            "Publish only the events handler.handle returned.",
        )
    try:
        dispatch(ShipOrder(order_id=UUID(int=7)))
    except NoHandlerFoundError:
        return
    except Exception as other:
        raise NotYet(
            f"a ShipOrder with no handler raised {type(other).__name__}: {other}",
            "A type nobody handles is NoHandlerFoundError, naming the type.",
            "if handler is None: raise NoHandlerFoundError(type(command), list(self._handlers))",
        ) from None
    raise NotYet(
        "a ShipOrder with no handler registered raised nothing",
        "A command nobody handles must not vanish silently.",
        "raise NoHandlerFoundError(type(command), list(self._handlers))",
    )
