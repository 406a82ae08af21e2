"""The command bus routes to one handler, publishes what it returns, and says what is missing."""

import asyncio

import pytest

from cqrs_lab import Command, CommandBus, CommandHandler, EventPublisher, NoHandlerFoundError
from cqrs_lab.orders import OrderShipped
from cqrs_lab.registry import run_sync


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
