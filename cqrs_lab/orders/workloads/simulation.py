"""Bursts of orders on the simulated clock: how far the read side falls behind, and when.

The seed says "eventual consistency" and "monitor and alert on projection delay"; this
module makes both measurable without waiting. Orders arrive every ``seconds_between``
simulated seconds (the standard workload's orders, see :mod:`cqrs_lab.orders.workloads.workload`);
the projector wakes every ``projector_every`` seconds and applies at most ``batch_size``
events. Between the two, a backlog builds up or drains, and the lab's lag monitor watches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pandas as pd

from cqrs_lab.messaging.messages import Command
from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.commands import CancelOrder, CreateOrder, ShipOrder
from cqrs_lab.orders.events import created_order_id
from cqrs_lab.orders.queries import GetOrderById
from cqrs_lab.orders.workloads.workload import WORKLOAD_ITEMS, is_cancelled, is_shipped

#: Columns of :func:`simulate_burst`'s frame.
BURST_COLUMNS = [
    "second",
    "action",
    "orders_placed",
    "head",
    "position",
    "events_behind",
    "seconds_behind",
    "alert",
]

# Told after every command of the burst: (order_id, command).
_AfterCommand = Callable[[UUID, Command], None]


def simulate_burst(
    lab,
    *,
    orders: int = 100,
    seconds_between: float = 1.0,
    projector_every: float = 5.0,
    batch_size: int = 20,
) -> pd.DataFrame:
    """Run a burst of ``orders`` workload orders into ``lab`` and sample the lag over time.

    The lab must sell the workload's products (``build_lab(stock=workload_stock(), ...)``)
    and run on a :class:`~cqrs_lab.SimulatedClock`. After the last order the projector
    keeps its pace until the read side has caught up, so the frame shows the backlog
    draining too. One row per moment something happened: ``action`` is ``"order"``,
    ``"projector-due"`` (the projector wakes, before it applies anything) or ``"projector"``
    (after its run); ``second`` counts simulated seconds from the start of the burst.
    Each row is a :meth:`LagMonitor.sample` reading; ``alert`` says whether it raised one.

    Raises:
        ValueError: for a non-positive ``orders``, interval or ``batch_size``.
    """
    rows: list[tuple] = []
    start = lab.clock.now()

    def record(action: str, placed: int) -> None:
        alerts_before = len(lab.lag_monitor.alerts)
        lag = lab.lag_monitor.sample()
        fired = len(lab.lag_monitor.alerts) > alerts_before
        second = (lag.at - start).total_seconds()
        rows.append(
            (second, action, placed, lag.head, lag.position, lag.events_behind,
             lag.seconds_behind, fired)
        )  # fmt: skip

    _run_burst(lab, orders, seconds_between, projector_every, batch_size, record)
    return pd.DataFrame(rows, columns=BURST_COLUMNS)


@dataclass(frozen=True)
class ReadYourWrites:
    """What a client saw when it read an order straight after changing it."""

    reads: int
    """Reads made: one after every command of the burst."""
    fresh: int
    """Reads that showed the command's change."""
    missing: int
    """Reads that found no order at all (``GetOrderById`` returned None)."""
    outdated: int
    """Reads that found the order, at a version older than the one just written."""
    max_seconds_to_visible: float
    """Longest simulated wait between a command and the projector making it readable."""

    @property
    def stale(self) -> int:
        """Reads that did not show the caller's own write: ``missing + outdated``."""
        return self.missing + self.outdated


def probe_read_your_writes(
    lab,
    *,
    orders: int = 50,
    seconds_between: float = 1.0,
    projector_every: float = 5.0,
    batch_size: int = 20,
    follow_up_after: float = 10.0,
) -> ReadYourWrites:
    """Run the same burst as :func:`simulate_burst`, reading each order right after each
    command through ``GetOrderById``, and count the reads that missed the write.

    A read is stale if the order is missing or its ``version`` is below the event
    store's version of that stream. An ``inline`` lab gives 0; an ``async`` lab does not.

    The workload's cancels and shipments come ``follow_up_after`` simulated seconds after
    their order was placed (a customer changes their mind later, not in the same instant),
    so the probe sees both kinds of stale read: a new order the read model has not heard
    of (*missing*), and a changed order it still shows as it was (*outdated*, once the
    projector has caught up with the creation but not the change). With 0 the change
    follows the creation at once, and every stale read is a *missing* one.

    Raises:
        ValueError: for a non-positive ``orders``, interval or ``batch_size``, or a
            negative ``follow_up_after``.
    """
    counts = {"fresh": 0, "missing": 0, "outdated": 0}
    waiting: list[tuple[int, datetime]] = []  # (position written, when) not yet readable
    waits: list[float] = []

    def read_back(order_id: UUID, command: Command) -> None:
        written = lab.event_store.read_stream(order_id)[-1]
        view = lab.query(GetOrderById(order_id=order_id))
        if view is None:
            counts["missing"] += 1
        elif view.version < written.version:
            counts["outdated"] += 1
        else:
            counts["fresh"] += 1
        waiting.append((written.position, written.recorded_at))

    def note_visible(action: str, placed: int) -> None:
        now, position = lab.clock.now(), lab.projector.position
        waits.extend((now - at).total_seconds() for p, at in waiting if p <= position)
        waiting[:] = [(p, at) for p, at in waiting if p > position]

    _run_burst(
        lab, orders, seconds_between, projector_every, batch_size, note_visible, read_back,
        follow_up_after=follow_up_after,
    )  # fmt: skip
    return ReadYourWrites(
        sum(counts.values()), **counts, max_seconds_to_visible=max(waits, default=0.0)
    )


def _run_burst(
    lab,
    orders: int,
    seconds_between: float,
    projector_every: float,
    batch_size: int,
    on_moment: Callable[[str, int], None],
    after_command: _AfterCommand | None = None,
    *,
    follow_up_after: float = 0.0,
) -> None:
    """The burst loop: orders, their follow-ups and projector runs in simulated-time order,
    then drain.

    With ``follow_up_after`` 0 an order's cancel or shipment is sent right after its
    creation, in the same moment; otherwise it is due that many seconds later.
    """
    for name, value in [
        ("orders", orders),
        ("seconds_between", seconds_between),
        ("projector_every", projector_every),
        ("batch_size", batch_size),
    ]:
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
    if follow_up_after < 0:
        raise ValueError(f"follow_up_after must be >= 0, got {follow_up_after}")
    customers = list(lab.catalogue.customers)
    next_order, next_projector, placed = 0.0, projector_every, 0
    follow_ups: list[tuple[float, UUID, Command]] = []  # (due second, order, command), by due
    now = 0.0

    def send(order_id: UUID, command: Command) -> None:
        lab.dispatch(command)
        if after_command:
            after_command(order_id, command)

    while placed < orders or follow_ups or lab.projector.position < lab.event_store.head:
        next_follow_up = follow_ups[0][0] if follow_ups else float("inf")
        next_arrival = next_order if placed < orders else float("inf")
        # Commands win ties: the projector sees a command that arrives at the same moment.
        if next_follow_up <= min(next_arrival, next_projector):
            due, order_id, command = follow_ups.pop(0)
            lab.clock.advance(due - now)
            now = due
            send(order_id, command)
            on_moment("follow-up", placed)
        elif next_arrival <= next_projector:
            lab.clock.advance(next_order - now)
            now = next_order
            order_id, follow_up = _place_workload_order(lab, placed, customers, after_command)
            if follow_up is not None and not follow_up_after:
                send(order_id, follow_up)
            elif follow_up is not None:
                follow_ups.append((now + follow_up_after, order_id, follow_up))
            placed += 1
            next_order += seconds_between
            on_moment("order", placed)
        else:
            lab.clock.advance(next_projector - now)
            now = next_projector
            on_moment("projector-due", placed)  # the backlog at its oldest, just before
            lab.projector.step(batch_size)
            next_projector += projector_every
            on_moment("projector", placed)


def _place_workload_order(
    lab, n: int, customers: list[UUID], after_command: _AfterCommand | None
) -> tuple[UUID, Command | None]:
    """Place order ``n`` of the standard workload; returns its id and the cancel or
    shipment the workload has for it (None for most orders), not yet sent."""
    create = CreateOrder(
        customer_id=customers[n % len(customers)],
        items=list(WORKLOAD_ITEMS),
        shipping_address=DEMO_ADDRESS,
    )
    order_id = created_order_id(lab.dispatch(create))
    if after_command:
        after_command(order_id, create)
    follow_up: Command | None = None
    if is_cancelled(n):
        follow_up = CancelOrder(order_id=order_id, reason="changed my mind")
    elif is_shipped(n):
        follow_up = ShipOrder(order_id=order_id)
    return order_id, follow_up
