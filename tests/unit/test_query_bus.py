"""The query bus refuses handlers wired to the write side (the seed's FORBIDDEN list)."""

import pytest

from cqrs_lab import (
    EventSourcedRepository,
    InMemoryEventStore,
    NoHandlerFoundError,
    Query,
    QueryBus,
    WriteModelAccessError,
)
from cqrs_lab.orders import Order


class GetAnswer(Query):
    pass


class ReadsTheAggregate:
    def __init__(self, repo):
        self.repo = repo

    async def handle(self, query):
        return None


def test_a_handler_holding_a_repository_is_refused():
    bus = QueryBus()
    with pytest.raises(
        WriteModelAccessError, match="ReadsTheAggregate.repo is a EventSourcedRepository"
    ):
        bus.register(
            GetAnswer, ReadsTheAggregate(EventSourcedRepository(InMemoryEventStore(), Order))
        )
    assert bus.registered == []


def test_a_handler_holding_the_event_store_is_refused():
    with pytest.raises(WriteModelAccessError):
        QueryBus().register(GetAnswer, ReadsTheAggregate(InMemoryEventStore()))


def test_queries_dispatch_to_plain_handlers_and_report_missing_ones():
    bus = QueryBus()
    bus.register(GetAnswer, lambda query: 42)
    assert bus.dispatch_sync(GetAnswer()) == 42

    class Other(Query):
        pass

    with pytest.raises(NoHandlerFoundError, match="Other; registered: GetAnswer"):
        bus.dispatch_sync(Other())
