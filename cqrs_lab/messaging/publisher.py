"""The event publisher: how the command bus tells the rest of the system what happened.

The seed's ``CommandBus`` calls ``self.event_publisher.publish(event)`` but never sets
``event_publisher`` (its bug 4). Here every bus gets one, and subscribers (the inline
projector, the lab's timeline, your own code) hear each event after it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.messaging.registry import is_awaitable

Subscriber = Callable[[DomainEvent], Any]


class EventPublisher:
    """In-memory publish/subscribe of domain events, in subscription order."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(event)`` (plain or async) for every published event.

        Returns a function that unsubscribes it again.
        """
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    async def publish(self, event: DomainEvent) -> None:
        """Hand ``event`` to every subscriber; a subscriber's error propagates (never swallowed).

        A plain subscriber is simply called; only an awaitable result is awaited.
        """
        for subscriber in list(self._subscribers):
            result = subscriber(event)
            if is_awaitable(result):
                await result

    async def publish_all(self, events: Iterable[DomainEvent]) -> None:
        """``await publish(event)`` for each event in turn, in one coroutine.

        The command bus publishes a command's events with this: one coroutine per command
        instead of one per event. A subclass that overrides :meth:`publish` keeps having
        it called once per event.
        """
        if type(self).publish is not EventPublisher.publish:
            for event in events:
                await self.publish(event)
            return
        for event in events:
            # A copy per event, as publish takes: a subscriber added while one event is
            # delivered hears the next one.
            for subscriber in list(self._subscribers):
                result = subscriber(event)
                if result is not None and is_awaitable(result):  # most return None
                    await result
