"""What both buses share: a map from message type to handler, and a way to run it.

Handlers may be objects with a ``handle`` method or plain functions, and either may be
``async`` (the seed's form) or not. ``run_sync`` lets code without an event loop (widget
callbacks, scripts) drive the very same coroutine pipeline: in-memory handlers never
really wait on anything, so the coroutine finishes on its first step.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from types import CoroutineType
from typing import Any, TypeVar

T = TypeVar("T")


class NoHandlerFoundError(LookupError):
    """No handler is registered for a message's type.

    Attributes:
        message_type: the type that was dispatched.
        registered: the types that do have handlers.
    """

    def __init__(self, message_type: type, registered: list[type] | None = None) -> None:
        self.message_type = message_type
        self.registered = list(registered or [])
        names = ", ".join(sorted(t.__name__ for t in self.registered)) or "nothing"
        super().__init__(f"No handler registered for {message_type.__name__}; registered: {names}")


class HandlerRegistry:
    """One handler per message type, looked up by the message's exact type."""

    def __init__(self) -> None:
        self._handlers: dict[type, Callable[[Any], Any]] = {}

    def register(self, message_type: type, handler: Any) -> None:
        """Route ``message_type`` to ``handler`` (an object with ``handle``, or a callable)."""
        call = getattr(handler, "handle", handler)
        if not callable(call):
            raise TypeError(f"handler for {message_type.__name__} is not callable: {handler!r}")
        self._handlers[message_type] = call

    @property
    def registered(self) -> list[type]:
        """The message types that have a handler, in registration order."""
        return list(self._handlers)

    def handler_for(self, message: object) -> Callable[[Any], Any]:
        """The handler for ``message``; raises :class:`NoHandlerFoundError` if none."""
        try:
            return self._handlers[type(message)]
        except KeyError:
            raise NoHandlerFoundError(type(message), self.registered) from None


def is_awaitable(result: object) -> bool:
    """``inspect.isawaitable(result)``, answered without a call for the two usual results.

    Every handler and subscriber result passes through here: an ``async def`` gives a
    coroutine, a plain function usually ``None`` or a list. Those are decided by one
    type check; anything else gets the full ``inspect`` test, so the answer never differs.
    """
    kind = type(result)
    if kind is CoroutineType:
        return True
    if result is None or kind is list:
        return False
    return inspect.isawaitable(result)


async def call_handler(handler: Callable[[Any], Any], message: object) -> Any:
    """Call ``handler`` and await its result if it is awaitable (async or plain handlers)."""
    result = handler(message)
    if is_awaitable(result):
        result = await result
    return result


def run_sync(coroutine: Coroutine[Any, Any, T] | Awaitable[T]) -> T:
    """Run a coroutine that never suspends to completion, without an event loop.

    Raises:
        RuntimeError: if the coroutine really waits on something (real I/O); such
            pipelines must be awaited from async code instead.
    """
    assert type(coroutine) is CoroutineType or inspect.iscoroutine(coroutine), (
        "run_sync needs a coroutine"
    )
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise RuntimeError(
        "a handler suspended on real I/O; use `await bus.dispatch(...)` from async code"
    )
