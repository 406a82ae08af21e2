"""Given / when / then for aggregates: the form Axon, Emmett and Eventuous teach.

    Scenario(Order).given(created, item).when(lambda o: o.cancel("late")).then(
        OrderCancelled(order_id=order_id, reason="late"))

*Given* past events (replayed, as loading from the store does), *when* a command method
runs, *then* exactly these new events were raised, or this error. Events are compared by
type and fields, ignoring the version and time that ``_raise_event`` stamps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.aggregate import Aggregate

A = TypeVar("A", bound=Aggregate)
_STAMPS = {"version", "occurred_at"}


def _essence(event: DomainEvent) -> tuple[str, dict]:
    return type(event).__name__, event.model_dump(exclude=_STAMPS)


class Scenario(Generic[A]):
    """One aggregate scenario. ``when``'s action may return a new aggregate (for creation)."""

    def __init__(self, aggregate_type: type[A]) -> None:
        self.aggregate_type = aggregate_type
        self._history: list[DomainEvent] = []
        self._raised: list[DomainEvent] | None = None
        self._error: Exception | None = None
        self.aggregate: A | None = None

    def given(self, *events: DomainEvent) -> Scenario[A]:
        """Past events, in order; their versions are stamped 1, 2, 3..."""
        self._history = [e.model_copy(update={"version": n}) for n, e in enumerate(events, 1)]
        return self

    def when(self, action: Callable[[A | None], Any]) -> Scenario[A]:
        """Run ``action`` on the aggregate rebuilt from the given events (None if none)."""
        if self._history:
            self.aggregate = self.aggregate_type.from_history(
                self._history[0].aggregate_id, self._history
            )
        try:
            result = action(self.aggregate)
        except Exception as error:  # the scenario records it for then_error
            self._error = error
            return self
        if isinstance(result, Aggregate):
            self.aggregate = result
        self._raised = self.aggregate.pending_events if self.aggregate else []
        return self

    def then(self, *expected: DomainEvent) -> Scenario[A]:
        """Assert the action raised exactly ``expected`` (type and fields, in order)."""
        if self._error is not None:
            raise AssertionError(f"expected events, but the command failed: {self._error!r}")
        got = [_essence(e) for e in self._raised or []]
        want = [_essence(e) for e in expected]
        if got != want:
            raise AssertionError(f"events differ:\n  got:  {got}\n  want: {want}")
        return self

    def then_error(self, error_type: type[Exception], match: str | None = None) -> Scenario[A]:
        """Assert the action raised ``error_type`` (message matching ``match``) and no events."""
        if not isinstance(self._error, error_type):
            raise AssertionError(
                f"expected {error_type.__name__}, got {self._error!r} (events: {self._raised})"
            )
        if match and not re.search(match, str(self._error)):
            raise AssertionError(f"error {str(self._error)!r} does not match {match!r}")
        if self.aggregate is not None and self.aggregate.has_pending_events:
            raise AssertionError("a rejected command must not leave pending events")
        return self
