"""The timeline's x-axis is simulated time, a frozen clock falls back to order, and no
label ever overlaps another label or a note."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cqrs_lab.orders import ADA, DEMO_ADDRESS, CreateOrder, OrderItem, build_lab  # noqa: E402
from cqrs_lab.presentation import timeline_chart  # noqa: E402
from cqrs_lab.presentation.timeline_axis import time_positions  # noqa: E402
from cqrs_lab.presentation.timeline_chart import LANES  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


STOCK = {"SILENT-KEYBOARD": 1_000}


def place_orders(lab, count, *, seconds_apart=0.0, lines=3):
    keyboard = OrderItem(product_id="SILENT-KEYBOARD", quantity=1, unit_price=89.5)
    for _ in range(count):
        lab.dispatch(
            CreateOrder(customer_id=ADA, items=[keyboard] * lines, shipping_address=DEMO_ADDRESS)
        )
        if seconds_apart:
            lab.clock.advance(seconds_apart)


def label_pixels(ax):
    """For each visible label, the pixels it inks (the chart drawn with that label alone)."""
    fig = ax.figure
    shown = [t for t in ax.texts if t.get_visible()]

    def draw() -> np.ndarray:
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)

    for t in shown:
        t.set_visible(False)
    base = draw()
    masks = []
    for t in shown:
        t.set_visible(True)
        masks.append(np.abs(draw() - base).sum(axis=2) > 60)
        t.set_visible(False)
    return masks


def test_entries_are_placed_at_their_simulated_second():
    lab = build_lab(stock=STOCK)
    place_orders(lab, 3, seconds_apart=10)
    axis = time_positions(lab.timeline.entries, LANES)
    commands = [x for x, e in zip(axis.xs, lab.timeline.entries) if e.kind == "command"]
    assert axis.timed
    assert commands == [0.0, 10.0, 20.0]
    assert "simulated time (s since 09:00:00)" in axis.label


def test_notes_of_one_instant_sit_side_by_side_in_order_never_on_top_of_each_other():
    lab = build_lab(stock=STOCK)
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
    lab = build_lab(stock=STOCK)
    place_orders(lab, 3)  # no clock.advance: every entry at 09:00:00
    lab.catch_up()
    ax = timeline_chart(lab)
    assert "stood still at 09:00:00" in ax.get_xlabel()
    assert "09:00:00 to 09:00:00" not in ax.get_title()
    offsets = sorted(x for c in ax.collections for x, _ in c.get_offsets())
    assert offsets == [float(n) for n in range(1, len(lab.timeline.entries) + 1)]


@pytest.mark.parametrize("seconds_apart", [0.0, 0.5, 7.0])
def test_no_label_overlaps_another_label(seconds_apart):
    lab = build_lab(stock=STOCK)
    place_orders(lab, 5, seconds_apart=seconds_apart, lines=2)
    lab.catch_up()
    ax = timeline_chart(lab)
    masks = label_pixels(ax)
    assert len(masks) >= 3  # several notes are still named
    for a, b in itertools.combinations(masks, 2):
        assert not (a & b).any()  # no pixel inked by two labels
