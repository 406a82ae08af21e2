"""The write side under races and resends: conflicts, bounded retries, idempotent commands."""

import asyncio
import os
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError

from cqrs_lab import CommandBus, CommandIdReusedError, ConcurrencyError, SimulatedClock
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
from cqrs_lab.orders.handlers import CancelOrderHandler, CreateOrderHandler, ShipOrderHandler
from tests.builders import PLENTY, armchair_and_keyboards, snapshot

LAMP = OrderItem(product_id="MIDNIGHT-LAMP", quantity=1, unit_price=35.25)


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


def test_the_same_id_with_one_line_changed_is_refused_naming_the_first_command(lab):
    command = armchair_and_keyboards()
    lab.dispatch(command)
    items = [*command.items[:-1], command.items[-1].model_copy(update={"quantity": 3})]
    changed = command.model_copy(update={"items": items})
    with pytest.raises(CommandIdReusedError, match="different CreateOrder") as refused:
        lab.dispatch(changed)
    assert refused.value.original == command.model_copy(update={"timestamp": None})
    assert lab.dispatch(command.model_copy()) == lab.dispatch(command)  # same content: a resend


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


def test_a_resend_older_than_the_memory_is_still_stored_once(lab):
    lab.command_bus.remember = 1
    first = armchair_and_keyboards()
    events = lab.dispatch(first)
    lab.dispatch(armchair_and_keyboards())  # pushes `first` out of the bus's memory
    head = lab.event_store.head
    assert lab.dispatch(first) == events  # answered from the store's record of the command
    assert lab.event_store.head == head and lab.command_bus.resends == 1


# -- concurrency: the same command sent twice at once ----------------------------------


@types.coroutine
def let_others_run():
    """Suspend once, as a handler awaiting real I/O would (what ``asyncio.sleep(0)`` does)."""
    yield


class AwaitingCreate(CreateOrderHandler):
    """The real handler, suspending between its checks and its save."""

    def __init__(self, lab):
        super().__init__(lab.orders, lab.inventory, lab.customers)
        self.calls = 0

    async def handle(self, command):
        self.calls += 1
        await let_others_run()
        return await super().handle(command)


def test_one_command_dispatched_twice_at_once_through_the_async_bus_is_stored_once(lab):
    handler = AwaitingCreate(lab)
    lab.command_bus.register(CreateOrder, handler)
    command = armchair_and_keyboards()

    async def twice():
        return await asyncio.gather(
            lab.command_bus.dispatch(command), lab.command_bus.dispatch(command)
        )

    first, second = asyncio.run(twice())
    assert first == second and len(lab.event_store.stream_ids()) == 1
    assert lab.event_store.head == 3 and handler.calls == 1  # the resend waited
    assert lab.command_bus.resends == 1


def test_without_the_bus_memory_the_store_still_stores_a_concurrent_resend_once(lab):
    lab.command_bus.remember = 0
    handler = AwaitingCreate(lab)
    lab.command_bus.register(CreateOrder, handler)
    command = armchair_and_keyboards()

    async def three_times():
        return await asyncio.gather(*(lab.command_bus.dispatch(command) for _ in range(3)))

    results = asyncio.run(three_times())
    assert results[0] == results[1] == results[2] and lab.event_store.head == 3
    assert handler.calls == 3  # each ran, the store refused the command id twice


def test_two_buses_on_one_store_store_a_command_sent_to_both_once(lab):
    other = CommandBus(clock=lab.clock, ids=lab.ids)
    other.register(CreateOrder, AwaitingCreate(lab))
    lab.command_bus.register(CreateOrder, AwaitingCreate(lab))
    command = armchair_and_keyboards()

    async def both():
        return await asyncio.gather(lab.command_bus.dispatch(command), other.dispatch(command))

    first, second = asyncio.run(both())
    assert first == second and lab.event_store.head == 3


def run_in_threads(*calls):
    """Run the calls at once, one thread each; each call's result or raised error, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except Exception as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class YieldingClock(SimulatedClock):
    """A simulated clock that lets another thread run whenever it is asked the time (the
    store asks while appending), so a store whose check and write are not one step loses."""

    def now(self):
        os.sched_yield()
        return super().now()


@pytest.fixture
def racy_lab():
    """A lab whose threads switch as often as the interpreter allows."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield build_lab(seed=1, clock=YieldingClock(), stock=PLENTY)
    sys.setswitchinterval(interval)


class YieldingCreate(CreateOrderHandler):
    """The real handler, letting other threads run between its checks and its save."""

    async def handle(self, command):
        os.sched_yield()
        return await super().handle(command)


def test_one_command_sent_from_several_threads_is_stored_once(racy_lab):
    lab = racy_lab
    lab.command_bus.register(CreateOrder, YieldingCreate(lab.orders, lab.inventory, lab.customers))
    for _ in range(100):
        command = armchair_and_keyboards()
        results = run_in_threads(*(lambda c=command: lab.dispatch(c) for _ in range(4)))
        assert all(result == results[0] for result in results), results
    assert len(lab.event_store.stream_ids()) == 100 and lab.event_store.head == 300
    assert [r.position for r in lab.event_store.read_all()] == list(range(1, 301))


def test_cancel_and_ship_of_one_order_from_two_threads_never_both_succeed(racy_lab):
    lab = racy_lab
    lab.command_bus.register(CancelOrder, YieldingCancel(lab.orders))
    lab.command_bus.register(ShipOrder, YieldingShip(lab.orders))
    for _ in range(50):
        order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
        results = run_in_threads(
            lambda o=order_id: lab.dispatch(CancelOrder(order_id=o, reason="x")),
            lambda o=order_id: lab.dispatch(ShipOrder(order_id=o)),
        )
        accepted = [r for r in results if isinstance(r, list)]
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(accepted) == 1 and len(refused) == 1, results
        assert isinstance(refused[0], ConcurrencyError | InvalidOperationError)
        assert [r.version for r in lab.event_store.read_stream(order_id)] == [1, 2, 3, 4]


class YieldingCancel(CancelOrderHandler):
    async def handle(self, command):
        order = await self._load(command.order_id)
        os.sched_yield()
        order.cancel(command.reason)
        return await self.order_repo.save(order)


class YieldingShip(ShipOrderHandler):
    async def handle(self, command):
        order = await self._load(command.order_id)
        os.sched_yield()
        order.ship()
        return await self.order_repo.save(order)


def test_many_threads_placing_orders_leave_gap_free_positions_the_projector_catches_up_on(
    racy_lab,
):
    lab = racy_lab
    lab.command_bus.register(CreateOrder, YieldingCreate(lab.orders, lab.inventory, lab.customers))

    def place_ten():
        return [lab.dispatch(armchair_and_keyboards()) for _ in range(10)]

    run_in_threads(*(place_ten for _ in range(6)))
    assert [r.position for r in lab.event_store.read_all()] == list(range(1, 181))
    lab.catch_up()
    assert lab.lag().events_behind == 0
    assert len(lab.read_model("order_summary")) == 60
