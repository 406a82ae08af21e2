"""A command being handled right now, and whoever waits for it to finish.

A client that resends a command while the first send is still running (a retry after a
timeout, a double click, two threads) must not run the handler a second time: the resend
waits for the first send and then gets its result. The waiter may be an asyncio task on
the same loop (``asyncio.gather(bus.dispatch(c), bus.dispatch(c))``), a task on another
thread's loop, or a thread without a loop (``lab.dispatch`` from a worker thread); each is
woken the way it can be woken.

Nothing is allocated unless someone waits: the bus marks a command in flight with the id
of the thread handling it, and only a duplicate turns that mark into an :class:`InFlight`.
"""

from __future__ import annotations

import asyncio
import threading


class InFlight:
    """One command in flight that someone waits for.

    ``lock`` is the bus's lock, which guards every field here; ``owner`` is the id of the
    thread handling the command.
    """

    __slots__ = ("_lock", "_owner", "_done", "_event", "_waiters")

    def __init__(self, lock: threading.Lock, owner: int) -> None:
        self._lock = lock
        self._owner = owner
        self._done = False
        self._event: threading.Event | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def finish(self) -> None:
        """The first send is over (accepted, rejected or cancelled): wake every waiter."""
        with self._lock:
            self._done = True
            event, waiters = self._event, self._waiters
        if event is not None:
            event.set()
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # that loop is closed: nobody is left waiting there
                pass

    def wait_blocking(self) -> None:
        """Block this thread until :meth:`finish` (for callers without a running loop).

        Raises:
            RuntimeError: when the first send runs in this very thread (it would never end).
        """
        with self._lock:
            if self._done:
                return
            if self._owner == threading.get_ident():
                raise RuntimeError(
                    "a command was dispatched again from within its own handling, in the "
                    "same thread; waiting for the first send would never end"
                )
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        event.wait()

    async def wait(self) -> None:
        """Wait until :meth:`finish` without blocking the running loop (if there is one)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # driven without a loop (``run_sync``): block the thread instead
            self.wait_blocking()
            return
        with self._lock:
            if self._done:
                return
            future = loop.create_future()
            self._waiters.append((loop, future))
        await future


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
