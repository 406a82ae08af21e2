"""The query bus: routes each query to the handler that reads the read model.

Query handlers read DuckDB only (the seed's FORBIDDEN list): registering a handler that
holds the event store or an aggregate repository is refused, so "just load the aggregate
to answer this query" fails loudly instead of quietly coupling the two sides.
"""

from __future__ import annotations

from typing import Any

from cqrs_lab.messaging.messages import Query
from cqrs_lab.messaging.registry import HandlerRegistry, call_handler, run_sync
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.repository import EventSourcedRepository

_WRITE_SIDE = (InMemoryEventStore, EventSourcedRepository)


class WriteModelAccessError(TypeError):
    """A query handler was wired to the write side (event store or aggregate repository)."""


class QueryBus:
    """Routes queries to read-side handlers; ``dispatch`` returns the handler's answer."""

    def __init__(self) -> None:
        self._registry = HandlerRegistry()

    def register(self, query_type: type[Query], handler: Any) -> None:
        """Route ``query_type`` to ``handler``.

        Raises:
            WriteModelAccessError: if the handler holds the event store or a repository.
        """
        for name, value in vars(handler).items() if hasattr(handler, "__dict__") else ():
            if isinstance(value, _WRITE_SIDE):
                raise WriteModelAccessError(
                    f"{type(handler).__name__}.{name} is a {type(value).__name__}: query "
                    "handlers must read the read model (read_db), never the write model"
                )
        self._registry.register(query_type, handler)

    @property
    def registered(self) -> list[type]:
        """Query types that have a handler."""
        return self._registry.registered

    async def dispatch(self, query: Query) -> Any:
        """Answer ``query`` from the read model."""
        return await call_handler(self._registry.handler_for(query), query)

    def dispatch_sync(self, query: Query) -> Any:
        """``dispatch`` for code without an event loop."""
        return run_sync(self.dispatch(query))
