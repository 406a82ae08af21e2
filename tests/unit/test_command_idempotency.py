"""The write side under races and resends: conflicts, bounded retries, idempotent commands."""

import asyncio

import pytest
from pydantic import ValidationError

from cqrs_lab import CommandBus, CommandIdReusedError, ConcurrencyError
from cqrs_lab.orders import (
    CancelOrder,
    CreateOrder,
    GetOrderById,
    GetOrdersByCustomer,
    InvalidOperationError,
    OrderItem,
    ShipOrder,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.errors import OrderNotFoundError
from cqrs_lab.orders.handlers import CancelOrderHandler
from tests.builders import armchair_and_keyboards, snapshot

LAMP = OrderItem(product_id="MIDNIGHT-LAMP", quantity=1, unit_price=35.0)


class RivalWritesOnce(CancelOrderHandler):
    """Cancels, but the first time another writer adds an item between load and save."""

    def __init__(self, order_repo, rivals=1):
        super().__init__(order_repo)
        self.rivals, self.calls = rivals, 0

    async def handle(self, command):
        self.calls += 1
        order = await self._load(command.order_id)
        if self.rivals:
            self.rivals -= 1
            rival = await self._load(command.order_id)
            rival.add_item(LAMP)
            await self.order_repo.save(rival)
        order.cancel(command.reason)
        return await self.order_repo.save(order)


def test_two_interleaved_handlers_on_one_order_conflict_naming_stream_and_versions(lab):
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))

    async def interleave():
        first = await lab.orders.get(order_id)  # both load version 3
        second = await lab.orders.get(order_id)
        second.ship()
        await lab.orders.save(second)  # version 4
        first.cancel("too slow")
        await lab.orders.save(first)

    with pytest.raises(ConcurrencyError) as caught:
        asyncio.run(interleave())
    error = caught.value
    assert (error.stream_id, error.expected_version, error.actual_version) == (order_id, 3, 4)
    assert str(error) == f"stream {order_id}: expected version 3, but it is at version 4"
    assert [r.type for r in lab.event_store.read_stream(order_id)][-1] == "OrderShipped"


def test_without_retries_a_conflict_reaches_the_caller_and_observers_see_it(lab):
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.command_bus.register(CancelOrder, RivalWritesOnce(lab.orders))
    seen = []
    lab.command_bus.observers.append(lambda cmd, events, error: seen.append(type(error)))
    with pytest.raises(ConcurrencyError):
        lab.dispatch(CancelOrder(order_id=order_id, reason="x"))
    assert seen == [ConcurrencyError]
    assert [r.type for r in lab.event_store.read_stream(order_id)][-1] == "OrderItemAdded"


def test_the_bus_retries_a_conflicting_command_on_fresh_state():
    lab = build_lab(seed=1, command_retries=2)
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    handler = RivalWritesOnce(lab.orders)
    lab.command_bus.register(CancelOrder, handler)
    events = lab.dispatch(CancelOrder(order_id=order_id, reason="changed mind"))
    assert (handler.calls, lab.command_bus.conflicts) == (2, 1)
    assert [e.version for e in events] == [5]  # decided on version 4, the rival's item
    types = [r.type for r in lab.event_store.read_stream(order_id)]
    assert types == [
        "OrderCreated",
        "OrderItemAdded",
        "OrderItemAdded",
        "OrderItemAdded",
        "OrderCancelled",
    ]


def test_retries_are_bounded():
    lab = build_lab(seed=1, command_retries=2)
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    handler = RivalWritesOnce(lab.orders, rivals=10)
    lab.command_bus.register(CancelOrder, handler)
    with pytest.raises(ConcurrencyError):
        lab.dispatch(CancelOrder(order_id=order_id, reason="x"))
    assert handler.calls == 3


def test_a_resent_command_appends_nothing_and_returns_the_original_events(lab):
    published = []
    lab.command_bus.event_publisher.subscribe(published.append)
    command = armchair_and_keyboards()
    first = lab.dispatch(command)
    head = lab.event_store.head
    again = asyncio.run(lab.command_bus.dispatch(command))
    assert again == first and lab.event_store.head == head == 3
    assert published == first and lab.command_bus.resends == 1
    lab.clock.advance(5)
    resent = command.model_copy(update={"timestamp": lab.clock.now()})  # a later resend
    assert lab.dispatch(resent) == first and lab.event_store.head == 3


def test_a_reused_command_id_with_other_content_is_refused_naming_the_id(lab):
    command = armchair_and_keyboards()
    lab.dispatch(command)
    before = snapshot(lab)
    other = CancelOrder(command_id=command.command_id, order_id=command.customer_id, reason="x")
    with pytest.raises(
        CommandIdReusedError, match=f"command_id {command.command_id} was already used"
    ):
        lab.dispatch(other)
    assert snapshot(lab) == before


def test_a_rejected_command_is_not_remembered_so_its_resend_runs_again(lab):
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    ship = ShipOrder(order_id=order_id)
    cancel = CancelOrder(order_id=order_id, reason="x")
    lab.dispatch(ship)
    with pytest.raises(InvalidOperationError, match="Cannot cancel shipped order"):
        lab.dispatch(cancel)
    with pytest.raises(InvalidOperationError, match="Cannot cancel shipped order"):
        lab.dispatch(cancel)
    assert lab.dispatch(ship) == lab.dispatch(ship)  # remembered: no second OrderShipped


def test_results_are_remembered_for_the_last_n_commands_only():
    bus, calls = CommandBus(remember=1), []
    bus.register(ShipOrder, lambda command: calls.append(command) or [])
    first, second = ShipOrder(order_id=LAMP_ORDER), ShipOrder(order_id=LAMP_ORDER)
    bus.dispatch_sync(first)
    bus.dispatch_sync(second)
    bus.dispatch_sync(second)  # still remembered
    bus.dispatch_sync(first)  # forgotten: the memory trade-off, it runs again
    assert calls == [first, second, first]


LAMP_ORDER = "00000000-0000-4000-8000-0000000000aa"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: CreateOrder(customer_id="ada", items=[], shipping_address=None), "customer_id"),
        (lambda: OrderItem(product_id="LAMP", quantity=0, unit_price=1.0), "quantity"),
        (lambda: CancelOrder(order_id=LAMP_ORDER, reason=""), "reason"),
        (lambda: ShipOrder(order_id=LAMP_ORDER, priority="high"), "priority"),
        (lambda: GetOrderById(order_id="not-a-uuid"), "order_id"),
        (lambda: GetOrdersByCustomer(customer_id=LAMP_ORDER, page=0), "page"),
    ],
)
def test_malformed_commands_and_queries_are_refused_naming_the_field(build, field):
    with pytest.raises(ValidationError, match=field):
        build()


def test_something_that_is_not_a_command_is_refused_and_changes_nothing(lab):
    before = snapshot(lab)
    with pytest.raises(TypeError, match="dispatch needs a Command, got dict"):
        lab.dispatch({"order_id": LAMP_ORDER})
    assert snapshot(lab) == before


def test_unknown_ids_get_a_clear_answer_and_change_nothing(lab):
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    before = snapshot(lab)
    with pytest.raises(OrderNotFoundError, match=f"Order {LAMP_ORDER} does not exist"):
        lab.dispatch(CancelOrder(order_id=LAMP_ORDER, reason="x"))
    assert lab.query(GetOrderById(order_id=LAMP_ORDER)) is None
    assert snapshot(lab) == before


def test_remembering_commands_changes_neither_their_fields_set_nor_their_resend(lab):
    first, second = armchair_and_keyboards(), armchair_and_keyboards()
    given = first.model_fields_set.copy()
    events = lab.dispatch(first)
    lab.dispatch(second)
    assert first.model_fields_set == second.model_fields_set == given
    assert first.model_dump(exclude_unset=True).keys() == given
    assert lab.dispatch(first) == events and lab.command_bus.resends == 1
