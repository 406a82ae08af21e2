"""Notebook 04's exercises: a lag alert, a bounded read-your-writes wait, a stale read told
apart, and a confirmation page that needs no read model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cqrs_lab import Lag
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, KEYBOARDS, LAMP, place
from cqrs_lab.orders import (
    ADA,
    GRACE,
    CancelOrder,
    GetOrderById,
    build_lab,
    created_order_id,
    run_workload,
    workload_customers,
    workload_stock,
)

_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _lag(events: int, seconds: float, dead_letters: int = 0) -> Lag:
    return Lag(_AT, 100, 100 - events, events, seconds, dead_letters)


@exercise(
    "04-lag-alert",
    "A lag alert rule: too many events, too many seconds, or a dead letter",
    hints=(
        "The guide asks to alert on projection *delay*: count both faces of lag (events "
        "and seconds), and a projection that dropped events is not healthy even at 0 behind.",
        "if lag.events_behind > max_events: return f'{lag.events_behind} events behind ...'; "
        "the same with seconds_behind > max_seconds and dead_letters > 0; else return None.",
    ),
)
def _lag_alert(answer: Any) -> None:
    calm = answer(_lag(5, 2.0), max_events=40, max_seconds=10.0)
    if calm is not None:
        raise NotYet(
            f"a read side 5 events and 2.0 s behind raised an alert: {calm!r}",
            "Some lag is normal under eventual consistency: alert only past a threshold.",
            "Return None when nothing is over its limit.",
        )
    edge = answer(_lag(40, 10.0), max_events=40, max_seconds=10.0)
    if edge is not None:
        raise NotYet(
            f"exactly 40 events and 10.0 s behind raised an alert ({edge!r}): the thresholds "
            "are 'more than 40' and 'more than 10 s'",
            "The limit itself is still within limits.",
            "Compare with >, not >=.",
        )
    for lag, what, shown in [
        (_lag(41, 3.0), "a read side 41 events behind", "41"),
        (_lag(3, 25.0), "a read side 25.0 seconds behind with only 3 events waiting", "25"),
        (_lag(0, 0.0, 2), "a projection with 2 dead letters (0 events behind)", "dead letter"),
    ]:
        reason = answer(lag, max_events=40, max_seconds=10.0)
        if not reason:
            raise NotYet(
                f"{what} raised no alert",
                "Lag has two faces (events behind, seconds behind); and a dead letter is an "
                "event a read model could not apply: it can look 0 events behind and be wrong.",
                "Test events_behind, seconds_behind and dead_letters, each on its own.",
            )
        if shown not in str(reason).lower():
            raise NotYet(
                f"the alert for {what} does not say what is wrong: {reason!r}",
                "Whoever is paged reads the reason first: name the measure and its value.",
                f"Put {shown!r} in the reason, e.g. f'{{lag.events_behind}} events behind'.",
            )


class _StuckProjector:
    """A projector that never moves (its projection hangs): steps are counted, not applied."""

    position = 0

    def __init__(self) -> None:
        self.steps = 0

    def step(self, n: int = 1) -> int:
        self.steps += 1
        if self.steps >= 1000:
            raise NotYet(
                "your wait stepped a projector that never moves 1,000 times: it has no bound",
                "A read-your-writes wait must give up at some point and say so, or a stuck "
                "projector hangs every caller.",
                "for _ in range(max_batches): ...; after the loop raise TimeoutError(...).",
            )
        return 0

    def catch_up(self, *args: Any) -> int:
        return self.step()


class _StuckLab:
    """A lab whose projector is stuck: everything else is the real lab's."""

    def __init__(self, lab: Any) -> None:
        self._lab = lab
        self.projector = _StuckProjector()

    def catch_up(self) -> int:
        return self.projector.catch_up()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lab, name)


@exercise(
    "04-bounded-wait",
    "Read your own write: wait for the projector, a bounded number of batches",
    hints=(
        "Your write is readable once the projector's position reaches your stream's last "
        "position; step the projector until then, but only max_batches times.",
        "written = lab.event_store.read_stream(order_id)[-1].position; loop max_batches "
        "times: if lab.projector.position >= written: return lab.query(GetOrderById(...)); "
        "else lab.projector.step(batch_size). Then raise TimeoutError naming the order.",
    ),
)
def _bounded_wait(answer: Any) -> None:
    lab = build_lab(seed=41, customers=workload_customers(5), stock=workload_stock())
    order_ids = run_workload(lab, 12, seconds_between=1)  # 50 events, none projected
    shipped = order_ids[3]  # the workload ships order 3: its stream ends at position 17
    view = answer(lab, shipped, max_batches=20, batch_size=10)
    if view is None:
        raise NotYet(
            "your answer is None: the read model had not reached the order yet",
            "Under async projection a query right after the write finds nothing: wait for the "
            "projector first.",
            "Step the projector until lab.projector.position reaches your write's position.",
        )
    if (getattr(view, "status", None), getattr(view, "version", None)) != ("shipped", 5):
        raise NotYet(
            f"the view shows the order {getattr(view, 'status', view)} at version "
            f"{getattr(view, 'version', '?')}, want shipped at version 5 (the last write)",
            "Wait for the stream's last event, not its first.",
            "lab.event_store.read_stream(order_id)[-1].position",
        )
    if lab.projector.position > 20:
        raise NotYet(
            f"your wait projected {lab.projector.position} of {lab.event_store.head} events; "
            "the order was readable after 20",
            "Wait only as long as your own write needs: the rest can lag.",
            "Check the position before each step and stop as soon as it is reached.",
        )
    position = lab.projector.position
    again = answer(lab, order_ids[0], max_batches=20, batch_size=10)
    if again is None or lab.projector.position != position:
        raise NotYet(
            "an order already readable made your wait step the projector again",
            "Check first, then wait.",
            "Test lab.projector.position >= written before stepping.",
        )
    stuck = _StuckLab(lab)
    waiting = order_ids[-1]
    try:
        gave = answer(stuck, waiting, max_batches=5, batch_size=10)
    except TimeoutError as gave_up:
        if str(waiting) not in str(gave_up):
            raise NotYet(
                f"the TimeoutError does not say which order is not readable: {gave_up}",
                "Whoever catches it needs to know what was not readable.",
                'raise TimeoutError(f"order {order_id} not readable after ...")',
            ) from None
        if stuck.projector.steps > 6:
            raise NotYet(
                f"with max_batches=5 your wait stepped the projector {stuck.projector.steps} times",
                "The bound is the number of batches you wait for.",
                "for _ in range(max_batches): ...",
            ) from None
        return
    raise NotYet(
        f"with a stuck projector your wait returned {gave!r} instead of raising TimeoutError: "
        "it gave up silently",
        "The caller must know the read is not their write: None looks like 'no such order'.",
        "After the loop: raise TimeoutError(...).",
    )


@exercise(
    "04-stale-read",
    "Tell a fresh read from a missing or an outdated one",
    hints=(
        "Compare the version the read model shows with the version of this order's own "
        "stream in the event store.",
        "written = lab.event_store.read_stream(order_id)[-1].version; view = lab.query("
        "GetOrderById(...)); None -> 'missing'; view.version < written -> 'outdated'; "
        "else 'fresh'.",
    ),
)
def _stale_read(answer: Any) -> None:
    lab = build_lab(seed=43)
    ada = created_order_id(lab.dispatch(place(ADA, ARMCHAIR, KEYBOARDS)))  # version 3
    lab.catch_up()
    grace = created_order_id(lab.dispatch(place(GRACE, LAMP)))  # not projected yet
    seen = answer(lab, ada)
    if seen == "outdated":
        raise NotYet(
            "Ada's order is current in the read model (version 3, its stream is at 3) but "
            f"you called it outdated: the store's head ({lab.event_store.head}) counts every "
            "order's events, not this order's",
            "Versions are per stream; positions are for the whole store.",
            "Compare view.version with read_stream(order_id)[-1].version.",
        )
    for order_id, want, story in [
        (ada, "fresh", "Ada's order, projected"),
        (grace, "missing", "Grace's new order, not projected yet"),
    ]:
        got = answer(lab, order_id)
        if got != want:
            raise NotYet(
                f"{story}: you said {got!r}, want {want!r}",
                "missing: the read model has no row; outdated: a row at an older version.",
                "view is None -> 'missing'; view.version < stream version -> 'outdated'.",
            )
    lab.dispatch(CancelOrder(order_id=ada, reason="changed my mind"))
    position = lab.projector.position
    got = answer(lab, ada)
    if lab.projector.position != position:
        raise NotYet(
            "your answer ran the projector: the read it judged was not the one the client saw",
            "Judge the read model as it is; never change it to look.",
            "No catch_up() or projector.step() in here.",
        )
    if got != "outdated":
        raise NotYet(
            f"Ada's order, cancelled but not projected (the row says pending at version 3): "
            f"you said {got!r}, want 'outdated'",
            "The row exists but shows an older version than the stream.",
            "view.version < lab.event_store.read_stream(order_id)[-1].version",
        )


@exercise(
    "04-confirmation",
    "Use what the command returned: a confirmation page with no read model",
    hints=(
        "dispatch returns the events it stored: they already say who ordered what, and for "
        "how much. No need to wait for the projector.",
        "events = lab.dispatch(command); the OrderCreated gives the id; sum quantity * "
        "unit_price over the OrderItemAdded events; count them for item_count.",
    ),
)
def _confirmation(answer: Any) -> None:
    lab = build_lab(seed=44)
    page = answer(lab, place(ADA, ARMCHAIR, KEYBOARDS))
    if lab.event_store.head != 3:
        raise NotYet(
            f"the store holds {lab.event_store.head} events, want 3: the order was placed "
            "more than once",
            "Dispatch the command once and keep what it returns.",
            "events = lab.dispatch(command)",
        )
    if lab.projector.position != 0:
        raise NotYet(
            f"the page ran the projector ({lab.projector.position} events) before it could "
            "show the order: the command's events already say what it needs",
            "A confirmation shows the caller's own write; the events in hand are that write.",
            "Build the page from the events lab.dispatch returned, not from a query.",
        )
    order_id: UUID = lab.event_store.read_all()[0].stream_id
    want = {"order_id": order_id, "status": "pending", "total_amount": 428.0, "item_count": 2}
    got = {key: (page or {}).get(key) for key in want}
    if got != want:
        wrong = {key: got[key] for key in want if got[key] != want[key]}
        raise NotYet(
            f"the page shows {wrong}; want { ({key: want[key] for key in wrong}) }",
            "One OrderItemAdded per line: its quantity times its unit_price is the line's "
            "subtotal.",
            "total_amount = sum(e.quantity * e.unit_price for e in item events), "
            "item_count = len(item events), order_id from the OrderCreated.",
        )
    lab.catch_up()
    view = lab.query(GetOrderById(order_id=order_id))
    if (view.total_amount, view.item_count) != (page["total_amount"], page["item_count"]):
        raise NotYet(
            "the page and the read model disagree once it catches up",
            "Both are computed from the same events.",
            "Sum the subtotals as the projection does.",
        )
