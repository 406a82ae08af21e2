"""The command bus: routes each command to its one handler, then publishes the events.

``await bus.dispatch(command)`` is the seed's form. ``bus.dispatch_sync(command)`` runs
the same pipeline for callers without an event loop (ipywidgets callbacks, scripts).

The bus stamps what a command built outside any lab lacks: its ``command_id`` from the
bus's id source and its ``timestamp`` from the bus's clock, once, on the command itself, so
sending the same object again is recognised as a resend. While the handler runs, "now" and
"a new id" (``Order.create``, an event's ``occurred_at``) come from the same lab.

Two reliability duties live here, because only the bus sees every command:

- **Retry on conflict.** A handler that loses an optimistic-concurrency race raises
  ``ConcurrencyError``; with ``retries=n`` the bus runs it again (at most ``n`` more
  times): the handler reloads the aggregate, so the retry decides on fresh state.
- **Idempotency.** Clients resend commands when a reply is lost. The bus remembers the
  events of each accepted ``command_id`` and answers a resend with them, appending
  nothing; a resend that arrives while the first send is still running waits for it
  (:mod:`cqrs_lab.messaging.in_flight`). The memory holds the last ``remember`` accepted
  commands (default 10,000). Beyond it, the event store is the guard: the repository
  stores the command id with the command's first append, the store refuses it a second
  time, and the bus answers with what the store holds (though the handler runs again
  first, and may reject the resend on today's state).

Thread safety: one bus may be used from many threads and event loops at once; its memory,
counters and stamping are guarded by one lock, held only for dictionary work.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from threading import get_ident
from typing import Any

from pydantic_core import PydanticSerializationError

from cqrs_lab.messaging.in_flight import InFlight
from cqrs_lab.messaging.messages import Command, DomainEvent
from cqrs_lab.messaging.publisher import EventPublisher
from cqrs_lab.messaging.registry import HandlerRegistry, is_awaitable, run_sync
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.time_and_ids.clock import Clock
from cqrs_lab.time_and_ids.ids import IdSource
from cqrs_lab.write_side.event_store import ConcurrencyError, DuplicateCommandError

#: Told of every dispatch: ``(command, events, error)``; exactly one of the last two is None.
DispatchObserver = Callable[[Command, list[DomainEvent] | None, Exception | None], None]


class CommandHandler(ABC):
    """Handles one command type and returns the events it caused (the seed's interface)."""

    @abstractmethod
    async def handle(self, command: Command) -> list[DomainEvent]:
        """Decide, persist, and return the new events; raise to reject the command."""


class CommandIdReusedError(ValueError):
    """A ``command_id`` already accepted was sent again with different content.

    Attributes:
        command_id: the reused id. original: the command first accepted under it (rebuilt
        from the bus's memory, without its timestamp; just its type if it cannot be).
    """

    def __init__(self, command: Command, original: Command | type[Command]) -> None:
        self.command_id = command.command_id
        self.original = original
        kind = original if isinstance(original, type) else type(original)
        super().__init__(
            f"command_id {command.command_id} was already used for a different "
            f"{kind.__name__}; a resend must carry the same content"
        )


class CommandBus:
    """Routes commands to handlers and publishes the resulting events.

    Raises (from dispatch):
        TypeError: when given something that is not a ``Command``.
        NoHandlerFoundError: when the command's type has no handler.
        CommandIdReusedError: when a known ``command_id`` comes with other content.
        ConcurrencyError: when the handler lost a race more than ``retries`` times.
        Any error the handler raises; nothing is published then.
    """

    def __init__(
        self,
        event_publisher: EventPublisher | None = None,
        *,
        retries: int = 0,
        remember: int = 10_000,
        clock: Clock | None = None,
        ids: IdSource | None = None,
    ) -> None:
        if retries < 0 or remember < 0:
            raise ValueError(f"retries and remember must be >= 0, got {retries}, {remember}")
        self.retries = retries
        """Extra attempts after a ``ConcurrencyError`` (0: fail on the first conflict)."""
        self.remember = remember
        """How many accepted commands' results are kept for resends (0: the store alone guards)."""
        self.conflicts = 0
        """How many conflicts were retried (for teaching displays)."""
        self.resends = 0
        """How many resent commands were answered with the first result, appending nothing."""
        self._sources = (clock, ids) if clock is not None and ids is not None else None
        """The lab's clock and ids (None: the unbound ones of :mod:`defaults`)."""
        self._results: OrderedDict[int, tuple[Any, ...]] = OrderedDict()
        """Accepted ``command_id.int`` -> ``(command type, content, *events)``, one tuple per
        remembered command (see :meth:`_remember`). Keyed by the id's integer, which hashes
        in C (``UUID.__hash__`` is Python)."""
        self._in_flight: dict[int, int | InFlight] = {}
        """Commands being handled right now, by ``command_id.int``: the handling thread's
        id, or an :class:`InFlight` once a resend waits for it."""
        self._lock = threading.Lock()
        """Guards stamping, the memory, the in-flight map and the counters."""
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
        """Handle ``command`` and publish its events; returns the events.

        A resend of an accepted command returns the first result and does nothing else:
        no handler call, no publishing, no observer call (``resends`` counts it).
        """
        return await self._dispatch(command, blocking=False)

    def dispatch_sync(self, command: Command) -> list[DomainEvent]:
        """``dispatch`` for code without an event loop: same handlers, same publishing."""
        return run_sync(self._dispatch(command, blocking=True))

    async def _dispatch(self, command: Command, blocking: bool) -> list[DomainEvent]:
        if not isinstance(command, Command):
            raise TypeError(
                f"dispatch needs a Command, got {type(command).__name__}: {command!r:.80}"
            )
        handler = self._registry.handler_for(command)  # before stamping: no lab, no stamp
        while True:
            with self._lock:
                if command.command_id is None or command.timestamp is None:
                    self._stamp(command)
                key = command.command_id.int
                if key in self._results:
                    earlier = self._remembered(command)
                    self.resends += 1
                    return earlier
                running = self._in_flight.get(key)
                if running is None:  # ours: mark it with this thread's id
                    self._in_flight[key] = get_ident()
                    break
                if type(running) is int:  # the first resend to arrive sets up the waiting
                    running = self._in_flight[key] = InFlight(self._lock, running)
            # The same command is being handled right now: wait for it, then look again;
            # unless that handling is what sent it again (waiting would never end).
            dispatch = defaults.current.get()
            if dispatch is not None and dispatch.command_id == command.command_id:
                raise RuntimeError(
                    f"command {command.command_id} was dispatched again from within its own "
                    "handling; waiting for the first send would never end"
                )
            if blocking:
                running.wait_blocking()
            else:
                await running.wait()
        try:
            events = await self._handle(handler, command)
        except DuplicateCommandError as stored:  # the store holds it: answer as a resend
            events = [recorded.event for recorded in stored.recorded]
            self._land(key, command, events, resent=True)
            return events
        except BaseException as error:  # rejected, or cancelled: nothing to remember
            self._land(key)
            if isinstance(error, Exception):
                self._notify(command, None, error)
            raise
        self._land(key, command, events)
        self._notify(command, events, None)
        publisher = self.event_publisher
        if isinstance(publisher, EventPublisher):
            await publisher.publish_all(events)
        else:  # any object with an async publish(event) will do
            for event in events:
                await publisher.publish(event)
        return events

    def _land(
        self,
        key: int,
        command: Command | None = None,
        events: list[DomainEvent] | None = None,
        resent: bool = False,
    ) -> None:
        """Remember the result (if any), leave the in-flight map, then wake any waiters:
        in that order, so a woken resend finds the result instead of running again."""
        # The command's content is serialised before the lock: the lock is for dict work.
        remembered = None
        if events is not None and self.remember:
            remembered = (type(command), _content(command), *events)
        with self._lock:
            if remembered is not None:
                self._remember(key, remembered)
            if resent:
                self.resends += 1
            waiting = self._in_flight.pop(key)
        if type(waiting) is not int:
            waiting.finish()

    def _stamp(self, command: Command) -> None:
        """Fill in the ``command_id`` and ``timestamp`` the sender left out, on the command
        itself (once: a stamped command is never stamped again, so a resend of it is one).
        Called under the lock, so two threads sending one new command stamp it once."""
        clock, ids = self._sources or defaults.unbound()
        fields = vars(command)
        if fields["command_id"] is None:
            fields["command_id"] = ids.new_id()
        if fields["timestamp"] is None:
            fields["timestamp"] = clock.now()

    async def _handle(self, handler: Callable, command: Command) -> list[DomainEvent]:
        """Run the handler, again after each conflict, at most ``retries`` extra times.

        The handler runs with this lab's clock and ids, and the command id that the
        repository stores with its first append (:class:`defaults.Dispatch`).
        """
        clock, ids = self._sources or defaults.unbound()
        token = defaults.current.set(defaults.Dispatch(clock, ids, command.command_id))
        try:
            for attempt in range(self.retries + 1):
                try:
                    result = handler(command)
                    if is_awaitable(result):
                        result = await result
                    return list(result or [])
                except ConcurrencyError:
                    if attempt == self.retries:
                        raise
                    with self._lock:
                        self.conflicts += 1
        finally:
            defaults.current.reset(token)
        raise AssertionError("unreachable")  # pragma: no cover

    def _remembered(self, command: Command) -> list[DomainEvent]:
        """The events first returned for this ``command_id`` (it must be remembered)."""
        kind, content, *events = self._results[command.command_id.int]
        if kind is not type(command) or content != _content(command):
            raise CommandIdReusedError(command, _rebuilt(kind, content))
        return events

    def _remember(self, key: int, remembered: tuple) -> None:
        """Keep ``(command type, content, *events)`` under ``key``; forget the oldest beyond
        ``remember``. Called under the lock.

        The command's content, not the command: a JSON string is one object the collector
        never walks, where a command is a dozen (its lines, its address) that would live
        through 10,000 more commands and make every full collection longer. The events are
        the store's own objects. One flat tuple per command (the caller may change the list
        it got back; the memory must not).
        """
        self._results[key] = remembered
        while len(self._results) > self.remember:
            self._results.popitem(last=False)  # forget the oldest

    def _notify(self, command: Command, events: Any, error: Exception | None) -> None:
        if not self.observers:
            return
        for observer in list(self.observers):
            observer(command, events, error)


_SEND_TIME = frozenset({"timestamp"})


def _content(command: Command) -> bytes | dict:
    """What makes two sends the same request: its fields, not the send time; as JSON
    (a command whose fields JSON cannot hold: as a dict). Floats keep their exact value in
    JSON; NaN and infinity both become ``null``.

    The JSON is ``model_dump_json``'s, as bytes straight from the model's serializer (one
    call per accepted command, without the method's keyword plumbing)."""
    try:
        return command.__pydantic_serializer__.to_json(command, exclude=_SEND_TIME)
    except PydanticSerializationError:
        return command.model_dump(exclude=_SEND_TIME)


def _rebuilt(kind: type[Command], content: bytes | dict) -> Command | type[Command]:
    """The first command accepted under an id, from its remembered content (or just its
    type, if the content does not validate again)."""
    try:
        if isinstance(content, bytes):
            return kind.model_validate_json(content)
        return kind.model_validate(content)
    except ValueError:
        return kind
