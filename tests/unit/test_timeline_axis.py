"""The timeline's x-axis is simulated time, a frozen clock falls back to order, and no
label ever overlaps another label or a note."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cqrs_lab.orders import ADA, DEMO_ADDRESS, CreateOrder, OrderItem, build_lab  # noqa: E402
from cqrs_lab.presentation import timeline_chart  # noqa: E402
from cqrs_lab.presentation.timeline_axis import time_positions  # noqa: E402
from cqrs_lab.presentation.timeline_chart import LANES  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def place_orders(lab, count, *, seconds_apart=0.0, lines=3):
    armchair = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=10.0)
    for _ in range(count):
        lab.dispatch(
            CreateOrder(customer_id=ADA, items=[armchair] * lines, shipping_address=DEMO_ADDRESS)
        )
        if seconds_apart:
            lab.clock.advance(seconds_apart)


def visible_label_boxes(ax):
    renderer = ax.figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts if t.get_visible()]


def test_entries_are_placed_at_their_simulated_second():
    lab = build_lab()
    place_orders(lab, 3, seconds_apart=10)
    axis = time_positions(lab.timeline.entries, LANES)
    commands = [x for x, e in zip(axis.xs, lab.timeline.entries) if e.kind == "command"]
    assert axis.timed
    assert commands == [0.0, 10.0, 20.0]
    assert "simulated time (s since 09:00:00)" in axis.label


def test_notes_of_one_instant_sit_side_by_side_in_order_never_on_top_of_each_other():
    lab = build_lab()
    place_orders(lab, 2, seconds_apart=5)
    axis = time_positions(lab.timeline.entries, LANES)
    events = [x for x, e in zip(axis.xs, lab.timeline.entries) if e.kind == "event"]
    assert len(events) == 8
    first_order = events[:4]
    assert first_order[0] == 0.0
    gaps = [b - a for a, b in itertools.pairwise(first_order)]
    assert all(gap == pytest.approx(axis.note_width) for gap in gaps)
    assert events[4] == 5.0  # the next instant starts at its own time


def test_a_lab_whose_clock_never_moved_is_drawn_in_order_and_says_the_clock_stood_still():
    lab = build_lab()
    place_orders(lab, 3)  # no clock.advance: every entry at 09:00:00
    lab.catch_up()
    ax = timeline_chart(lab)
    assert "stood still at 09:00:00" in ax.get_xlabel()
    assert "09:00:00 to 09:00:00" not in ax.get_title()
    offsets = sorted(x for c in ax.collections for x, _ in c.get_offsets())
    assert offsets == [float(n) for n in range(1, len(lab.timeline.entries) + 1)]


@pytest.mark.parametrize("seconds_apart", [0.0, 0.5, 7.0])
def test_no_label_overlaps_another_label(seconds_apart):
    lab = build_lab()
    place_orders(lab, 5, seconds_apart=seconds_apart, lines=2)
    lab.catch_up()
    ax = timeline_chart(lab)
    boxes = visible_label_boxes(ax)
    assert boxes  # something is still named
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
