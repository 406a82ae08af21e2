"""The event-source port: the in-memory store satisfies it, and a view up to N is one too."""

import pytest

from cqrs_lab import InMemoryEventStore, SimulatedClock
from cqrs_lab.write_side.event_source import EventSource, SourceUpTo
from tests.unit.test_event_store_contract import A, events


def filled(count):
    store = InMemoryEventStore(SimulatedClock())
    store.append(A, events(A, 1, count), expected_version=0)
    return store


def test_the_in_memory_store_is_an_event_source():
    assert isinstance(filled(1), EventSource)


def test_a_view_up_to_a_position_ends_there_whatever_the_limit():
    view = SourceUpTo(filled(5), 3)
    assert isinstance(view, EventSource) and view.head == 3
    assert [r.position for r in view.read_all()] == [1, 2, 3]
    assert [r.position for r in view.read_all(after=1, limit=10)] == [2, 3]
    assert [r.position for r in view.read_all(after=1, limit=1)] == [2]
    assert view.read_all(after=3) == [] and view.read_all(after=4) == []


@pytest.mark.parametrize("position", [-1, 6])
def test_a_view_past_the_head_or_below_zero_is_refused(position):
    with pytest.raises(ValueError, match="position must be between 0 and 5"):
        SourceUpTo(filled(5), position)
