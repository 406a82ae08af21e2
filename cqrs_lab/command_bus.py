"""The command bus: routes each command to its one handler, then publishes the events.

``await bus.dispatch(command)`` is the seed's form. ``bus.dispatch_sync(command)`` runs
the same pipeline for callers without an event loop (ipywidgets callbacks, scripts).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from cqrs_lab.messages import Command, DomainEvent
from cqrs_lab.publisher import EventPublisher
from cqrs_lab.registry import HandlerRegistry, call_handler, run_sync

#: Told of every dispatch: ``(command, events, error)``; exactly one of the last two is None.
DispatchObserver = Callable[[Command, list[DomainEvent] | None, Exception | None], None]


class CommandHandler(ABC):
    """Handles one command type and returns the events it caused (the seed's interface)."""

    @abstractmethod
    async def handle(self, command: Command) -> list[DomainEvent]:
        """Decide, persist, and return the new events; raise to reject the command."""


class CommandBus:
    """Routes commands to handlers and publishes the resulting events.

    Raises (from dispatch):
        NoHandlerFoundError: when the command's type has no handler.
        Any error the handler raises; nothing is published then.
    """

    def __init__(self, event_publisher: EventPublisher | None = None) -> None:
        self._registry = HandlerRegistry()
        self.event_publisher = event_publisher or EventPublisher()
        """Where events go after the handler stored them (always set: the seed's bug 4)."""
        self.observers: list[DispatchObserver] = []
        """Told of every dispatch, accepted or rejected (the lab's timeline listens here)."""

    def register(self, command_type: type[Command], handler: CommandHandler | Callable) -> None:
        """Route ``command_type`` to ``handler`` (a ``CommandHandler`` or a function)."""
        self._registry.register(command_type, handler)

    @property
    def registered(self) -> list[type]:
        """Command types that have a handler."""
        return self._registry.registered

    async def dispatch(self, command: Command) -> list[DomainEvent]:
        """Handle ``command`` and publish its events; returns the events."""
        handler = self._registry.handler_for(command)
        try:
            events = list(await call_handler(handler, command) or [])
        except Exception as error:
            self._notify(command, None, error)
            raise
        self._notify(command, events, None)
        for event in events:
            await self.event_publisher.publish(event)
        return events

    def dispatch_sync(self, command: Command) -> list[DomainEvent]:
        """``dispatch`` for code without an event loop: same handlers, same publishing."""
        return run_sync(self.dispatch(command))

    def _notify(self, command: Command, events: Any, error: Exception | None) -> None:
        for observer in list(self.observers):
            observer(command, events, error)
