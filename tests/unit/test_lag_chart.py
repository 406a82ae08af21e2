"""The lag chart shows the threshold where it is and the alerts where they fired."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cqrs_lab.orders import build_lab, simulate_burst  # noqa: E402
from cqrs_lab.orders.workloads.workload import workload_customers, workload_stock  # noqa: E402
from cqrs_lab.presentation import lag_chart  # noqa: E402
from cqrs_lab.presentation.lag_chart import ALERT_LABEL, THRESHOLD_LABEL  # noqa: E402


def line(ax, label):
    (found,) = [line for line in ax.get_lines() if line.get_label() == label]
    return found


@pytest.fixture
def burst():
    lab = build_lab(seed=5, customers=workload_customers(5), stock=workload_stock())
    return simulate_burst(lab, orders=20, seconds_between=1, projector_every=5, batch_size=10)


def test_threshold_line_sits_at_the_alert_threshold(burst):
    fig = lag_chart(burst, max_events_behind=10, max_seconds_behind=3.5)
    events_ax, seconds_ax = fig.axes
    assert set(line(events_ax, THRESHOLD_LABEL).get_ydata()) == {10}
    assert set(line(seconds_ax, THRESHOLD_LABEL).get_ydata()) == {3.5}
    plt.close(fig)


def test_alert_markers_sit_at_the_samples_that_fired(burst):
    fig = lag_chart(burst, max_events_behind=10)
    markers = line(fig.axes[0], ALERT_LABEL)
    fired = burst[burst.alert]
    assert len(fired) > 0
    assert list(markers.get_xdata()) == fired.second.tolist()
    assert list(markers.get_ydata()) == fired.events_behind.tolist()
    plt.close(fig)


def test_axes_are_labelled_with_units_and_the_size_is_fixed(burst):
    fig = lag_chart(burst, figsize=(8, 4))
    events_ax, seconds_ax = fig.axes
    assert "(events)" in events_ax.get_ylabel() and "(s)" in seconds_ax.get_ylabel()
    assert "(s)" in seconds_ax.get_xlabel()
    assert tuple(fig.get_size_inches()) == (8, 4)
    assert not [ln for ln in events_ax.get_lines() if ln.get_label() == THRESHOLD_LABEL]
    plt.close(fig)


def test_the_monitors_own_frame_plots_against_seconds_since_its_first_sample():
    lab = build_lab(seed=5, customers=workload_customers(5), stock=workload_stock())
    simulate_burst(lab, orders=5, seconds_between=2, projector_every=5, batch_size=10)
    frame = lab.lag_monitor.frame()
    fig = lag_chart(frame, max_events_behind=10)
    x = fig.axes[0].get_lines()[0].get_xdata()
    assert x[0] == 0.0 and x[-1] == (frame["at"].iloc[-1] - frame["at"].iloc[0]).total_seconds()
    plt.close(fig)


def test_an_empty_or_wrong_frame_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="empty"):
        lag_chart(pd.DataFrame(columns=["second", "events_behind", "seconds_behind", "alert"]))
    with pytest.raises(ValueError, match="events_behind"):
        lag_chart(pd.DataFrame({"second": [0.0]}))


def test_both_lag_charts_draw_each_series_in_the_same_palette_colour(burst):
    import re

    from matplotlib.colors import to_hex

    from cqrs_lab.presentation import palette, render_lag_chart

    fig = lag_chart(burst, max_events_behind=10)
    events_ax, seconds_ax = fig.axes
    plotted = [to_hex(line(ax, "behind").get_color()) for ax in (events_ax, seconds_ax)]
    plt.close(fig)
    lab = build_lab(seed=5, customers=workload_customers(5), stock=workload_stock())
    simulate_burst(lab, orders=5, seconds_between=1, projector_every=5, batch_size=10)
    svg = render_lag_chart(lab)
    drawn = re.findall(r'<polyline fill="none" stroke="([^"]+)"', svg)
    assert plotted == drawn == [palette.EVENTS_BEHIND, palette.SECONDS_BEHIND]
