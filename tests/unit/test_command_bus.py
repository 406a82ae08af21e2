"""The command bus routes to one handler, publishes what it returns, and says what is missing."""

import asyncio
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from cqrs_lab import (
    Command,
    CommandBus,
    CommandHandler,
    EventPublisher,
    NoHandlerFoundError,
    SeededIds,
    SimulatedClock,
)
from cqrs_lab.messaging.registry import run_sync
from cqrs_lab.orders import OrderShipped
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.time_and_ids.clock import LAB_EPOCH


class Ping(Command):
    pass


class Pong(Command):
    pass


EVENT = OrderShipped(order_id="00000000-0000-4000-8000-000000000001", version=2)


class AsyncPingHandler(CommandHandler):
    async def handle(self, command):
        return [EVENT]


def test_async_dispatch_returns_and_publishes_the_handlers_events():
    publisher, heard = EventPublisher(), []
    publisher.subscribe(heard.append)
    bus = CommandBus(publisher)
    bus.register(Ping, AsyncPingHandler())
    assert asyncio.run(bus.dispatch(Ping())) == [EVENT]
    assert heard == [EVENT]


def test_the_seeds_publisher_is_always_set():
    assert isinstance(CommandBus().event_publisher, EventPublisher)


def test_plain_function_handlers_and_sync_dispatch_share_the_pipeline():
    bus, heard = CommandBus(), []
    bus.event_publisher.subscribe(heard.append)
    bus.register(Ping, lambda command: [EVENT])
    assert bus.dispatch_sync(Ping()) == [EVENT]
    assert heard == [EVENT]


def test_unregistered_command_names_its_type_and_what_is_registered():
    bus = CommandBus()
    bus.register(Ping, AsyncPingHandler())
    with pytest.raises(NoHandlerFoundError) as caught:
        bus.dispatch_sync(Pong())
    assert caught.value.message_type is Pong
    assert str(caught.value) == "No handler registered for Pong; registered: Ping"


def test_a_rejected_command_publishes_nothing_and_observers_see_the_error():
    bus, heard, seen = CommandBus(), [], []
    bus.event_publisher.subscribe(heard.append)
    bus.observers.append(lambda command, events, error: seen.append((events, type(error))))

    def refuse(command):
        raise ValueError("no")

    bus.register(Ping, refuse)
    with pytest.raises(ValueError):
        bus.dispatch_sync(Ping())
    assert heard == [] and seen == [(None, ValueError)]


def test_run_sync_refuses_a_coroutine_that_really_waits():
    async def waits():
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="await"):
        run_sync(waits())


# -- the fast paths behave exactly as the general ones ---------------------------------


class Later:
    """An awaitable that is not a coroutine: only ``inspect.isawaitable`` recognises it."""

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield  # pragma: no cover - makes this a generator that never suspends


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(lambda command: [EVENT], id="plain function returning a list"),
        pytest.param(lambda command: (EVENT,), id="plain function returning a tuple"),
        pytest.param(AsyncPingHandler(), id="async handler"),
        pytest.param(lambda command: Later([EVENT]), id="plain function returning an awaitable"),
    ],
)
def test_every_kind_of_handler_result_is_published_and_returned(handler):
    bus, heard = CommandBus(), []
    bus.event_publisher.subscribe(heard.append)
    bus.register(Ping, handler)
    assert bus.dispatch_sync(Ping()) == [EVENT]
    assert heard == [EVENT]


def test_plain_async_and_awaitable_returning_subscribers_each_hear_every_event_in_order():
    bus, heard = CommandBus(), []
    events = [EVENT, EVENT.model_copy(update={"version": 3})]

    async def async_subscriber(event):
        heard.append(("async", event.version))

    bus.event_publisher.subscribe(lambda event: heard.append(("plain", event.version)))
    bus.event_publisher.subscribe(async_subscriber)
    bus.event_publisher.subscribe(lambda event: Later(heard.append(("later", event.version))))
    bus.register(Ping, lambda command: events)
    bus.dispatch_sync(Ping())
    assert heard == [(kind, v) for v in (2, 3) for kind in ("plain", "async", "later")]


def test_a_subscriber_added_while_an_event_is_delivered_hears_the_next_event():
    publisher, heard = EventPublisher(), []

    def subscribe_another(event):
        if not heard:
            publisher.subscribe(lambda e: heard.append(("late", e.version)))
        heard.append(("first", event.version))

    publisher.subscribe(subscribe_another)
    run_sync(publisher.publish_all([EVENT, EVENT.model_copy(update={"version": 3})]))
    assert heard == [("first", 2), ("first", 3), ("late", 3)]


def test_a_publisher_that_overrides_publish_is_still_called_once_per_event():
    class CountingPublisher(EventPublisher):
        def __init__(self):
            super().__init__()
            self.published = []

        async def publish(self, event):
            self.published.append(event)
            await super().publish(event)

    publisher, heard = CountingPublisher(), []
    publisher.subscribe(heard.append)
    bus = CommandBus(publisher)
    bus.register(Ping, lambda command: [EVENT, EVENT])
    bus.dispatch_sync(Ping())
    assert publisher.published == [EVENT, EVENT] and heard == [EVENT, EVENT]


def test_a_resend_answers_with_the_first_events_even_if_the_caller_changed_its_list():
    bus = CommandBus()
    bus.register(Ping, lambda command: [EVENT])
    ping = Ping()
    first = bus.dispatch_sync(ping)
    first.clear()
    assert bus.dispatch_sync(ping) == [EVENT]


def test_a_bus_runs_handlers_on_its_own_clock_and_ids_then_restores_the_unbound_ones():
    saved = defaults.unbound()
    elsewhere = SimulatedClock(LAB_EPOCH + timedelta(days=1))
    try:
        defaults.install(elsewhere, SeededIds(2))
        bus, seen = CommandBus(clock=SimulatedClock(), ids=SeededIds(1)), []
        bus.register(Ping, lambda command: seen.append((defaults.now(), defaults.new_id())))
        bus.register(Pong, lambda command: 1 / 0)
        ping = Ping()
        bus.dispatch_sync(ping)
        with pytest.raises(ZeroDivisionError):
            bus.dispatch_sync(Pong())
        lab_ids = SeededIds(1)
        # The bus stamped the command with the lab's first id; the handler drew the second.
        assert ping.command_id == lab_ids.new_id() and ping.timestamp == LAB_EPOCH
        assert seen == [(LAB_EPOCH, lab_ids.new_id())]
        assert defaults.now() == elsewhere.now()
    finally:
        defaults.install(*saved)


@types.coroutine
def let_others_run():
    yield


def test_a_resend_awaited_on_one_thread_waits_for_the_send_running_on_another():
    entered, release, calls = threading.Event(), threading.Event(), []

    def slow(command):
        calls.append(command)
        if len(calls) == 1:  # the first send holds on until released; a second would not
            entered.set()
            release.wait()
        return [EVENT]

    bus, ping = CommandBus(), Ping()
    bus.register(Ping, slow)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(bus.dispatch_sync, ping)
        entered.wait()

        async def resend():
            task = asyncio.create_task(bus.dispatch(ping))
            await let_others_run()  # the task runs until it waits for the first send
            release.set()
            return await task

        again = asyncio.run(resend())
        assert first.result() == again == [EVENT]
    assert calls == [ping] and bus.resends == 1


def test_a_handler_sending_its_own_command_again_gets_a_clear_error_not_a_hang():
    bus = CommandBus()
    bus.register(Ping, lambda command: bus.dispatch_sync(command))
    with pytest.raises(RuntimeError, match="dispatched again from within its own handling"):
        bus.dispatch_sync(Ping())


def test_an_async_handler_awaiting_its_own_command_again_gets_a_clear_error_not_a_hang():
    bus = CommandBus()

    async def again(command):
        return await bus.dispatch(command)

    bus.register(Ping, again)
    with pytest.raises(RuntimeError, match="dispatched again from within its own handling"):
        asyncio.run(bus.dispatch(Ping()))
