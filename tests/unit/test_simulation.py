"""Bursts on the simulated clock: the read side falls behind, alerts fire, it catches up."""

import pytest

from cqrs_lab.orders import build_lab, probe_read_your_writes, simulate_burst
from cqrs_lab.orders.workloads.workload import workload_customers, workload_stock


def burst_lab(consistency="async", max_events_behind=10):
    return build_lab(
        seed=3,
        customers=workload_customers(5),
        stock=workload_stock(),
        consistency=consistency,
        max_events_behind=max_events_behind,
    )


def test_a_slow_projector_falls_behind_then_catches_up_after_the_burst():
    lab = burst_lab()
    frame = simulate_burst(lab, orders=40, seconds_between=1, projector_every=5, batch_size=10)
    orders = frame[frame.action == "order"]
    assert orders.orders_placed.tolist() == list(range(1, 41))
    assert orders.second.tolist() == [float(n) for n in range(40)]
    # 40 orders: 160 item/create events + 2 cancels + 4 shipments.
    assert frame["head"].iloc[-1] == lab.event_store.head == 166
    assert frame.events_behind.max() > 10
    assert frame.events_behind.iloc[-1] == 0 and frame.seconds_behind.iloc[-1] == 0.0
    assert lab.projector.position == 166
    assert len(lab.read_model("order_summary")) == 40


def test_projector_runs_apply_at_most_the_batch_size():
    lab = burst_lab()
    frame = simulate_burst(lab, orders=20, seconds_between=1, projector_every=4, batch_size=7)
    runs = frame[frame.action == "projector"]
    assert (runs.position.diff().dropna() <= 7).all()
    assert runs.second.tolist() == [4.0 * k for k in range(1, len(runs) + 1)]


def test_alert_column_marks_the_samples_past_the_threshold():
    lab = burst_lab(max_events_behind=10)
    alerts_before = len(lab.lag_monitor.alerts)
    frame = simulate_burst(lab, orders=20, seconds_between=1, projector_every=5, batch_size=10)
    assert frame.alert.tolist() == (frame.events_behind > 10).tolist()
    assert frame.alert.any()
    assert len(lab.lag_monitor.alerts) > alerts_before


def test_an_inline_lab_never_falls_behind():
    lab = burst_lab("inline")
    frame = simulate_burst(lab, orders=20, seconds_between=1, projector_every=5, batch_size=10)
    assert (frame.events_behind == 0).all()
    assert not frame.alert.any()
    assert (frame.position == frame["head"]).all()


def test_seconds_behind_is_the_age_of_the_oldest_unprojected_event():
    lab = burst_lab()
    frame = simulate_burst(lab, orders=3, seconds_between=2, projector_every=100, batch_size=50)
    last_order = frame[frame.action == "order"].iloc[-1]
    assert last_order.second == 4.0 and last_order.seconds_behind == 4.0


@pytest.mark.parametrize("field", ["orders", "seconds_between", "projector_every", "batch_size"])
def test_non_positive_burst_settings_are_refused_by_name(field):
    settings = {"orders": 5, "seconds_between": 1, "projector_every": 5, "batch_size": 10}
    settings[field] = 0
    with pytest.raises(ValueError, match=field):
        simulate_burst(burst_lab(), **settings)


def test_inline_reads_always_see_the_callers_own_write():
    result = probe_read_your_writes(burst_lab("inline"), orders=20)
    # 20 creates, 1 cancel (order 7), 2 shipments (orders 3 and 13): one read after each.
    assert result.reads == 23
    assert result.stale == 0 and result.fresh == 23
    assert result.max_seconds_to_visible == 0.0


def test_async_reads_miss_new_orders_and_see_old_versions_of_changed_ones():
    result = probe_read_your_writes(
        burst_lab("async"), orders=20, seconds_between=1, projector_every=5, batch_size=10
    )
    assert result.reads == 23
    # Every creation is read back missing; the cancel and shipments come 10 s later, and
    # two of the three find their order projected but not yet changed (outdated).
    assert result.missing == 21 and result.outdated == 2 and result.fresh == 0
    assert result.stale == 23
    assert result.max_seconds_to_visible >= 5.0


def test_each_projector_run_is_read_just_before_and_just_after():
    lab = burst_lab()
    frame = simulate_burst(lab, orders=20, seconds_between=1, projector_every=5, batch_size=10)
    due = frame[frame.action == "projector-due"].reset_index()
    ran = frame[frame.action == "projector"].reset_index()
    assert len(due) == len(ran) > 0
    assert (due.second == ran.second).all()
    assert (ran.index - due.index == 0).all() and (ran["index"] - due["index"] == 1).all()
    applied = ran.position - due.position
    assert (due.events_behind - ran.events_behind == applied).all()
    assert (applied <= 10).all() and applied.sum() == lab.event_store.head
