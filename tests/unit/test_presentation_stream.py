"""The event-stream views: the compact stream table, the timeline chart, the map of the lab."""

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest

from cqrs_lab.orders import (
    DEMO_ADDRESS,
    GRACE,
    CancelOrder,
    CreateOrder,
    InsufficientInventoryError,
    OrderItem,
    created_order_id,
)
from cqrs_lab.presentation import (
    COLOURS,
    REJECTED,
    lab_map,
    short_id,
    stream_table,
    timeline_chart,
)
from tests.builders import armchair_and_keyboards


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def history(lab):
    """An order placed, a rejected order, a catch-up, then a cancellation (not projected)."""
    events = lab.dispatch(armchair_and_keyboards())
    lab.clock.advance(1)
    table = OrderItem(product_id="WOBBLY-TABLE", quantity=1, unit_price=120.0)
    with pytest.raises(InsufficientInventoryError):
        lab.dispatch(CreateOrder(customer_id=GRACE, items=[table], shipping_address=DEMO_ADDRESS))
    lab.clock.advance(1)
    lab.catch_up()
    lab.clock.advance(1)
    lab.dispatch(CancelOrder(order_id=created_order_id(events), reason="changed mind"))
    return lab, created_order_id(events)


def rgba(colour):
    return tuple(mcolors.to_rgba(colour))


# -- stream table -----------------------------------------------------------------------


def test_stream_table_has_one_row_per_event_with_the_compact_columns(history):
    lab, order_id = history
    table = stream_table(lab)
    assert table.index.name == "position"
    assert list(table.index) == [1, 2, 3, 4]
    assert list(table.columns) == ["stream", "version", "type", "key fields", "time"]
    assert list(table["type"]) == [
        "OrderCreated",
        "OrderItemAdded",
        "OrderItemAdded",
        "OrderCancelled",
    ]
    assert list(table["version"]) == [1, 2, 3, 4]
    assert set(table["stream"]) == {short_id(order_id)}
    assert len(short_id(order_id)) == 8


def test_stream_table_shows_key_fields_without_the_stream_id_and_customers_by_name(history):
    lab, order_id = history
    fields = list(stream_table(lab)["key fields"])
    assert fields == [
        "customer_id=Ada Lovelace",
        "product_id=CRUNCHY-ARMCHAIR quantity=1 unit_price=249.0",
        "product_id=SILENT-KEYBOARD quantity=2 unit_price=89.5",
        "reason=changed mind",
    ]
    assert not any(str(order_id)[:8] in f for f in fields)


def test_stream_table_shows_the_time_of_day_on_the_labs_clock(history):
    lab, _ = history
    assert list(stream_table(lab)["time"]) == ["09:00:00", "09:00:00", "09:00:00", "09:00:03"]


def test_stream_table_filters_by_position_and_keeps_the_newest(history):
    lab, _ = history
    assert list(stream_table(lab, after=2).index) == [3, 4]
    assert list(stream_table(lab, last=1)["type"]) == ["OrderCancelled"]
    assert stream_table(lab, last=0).empty


def test_stream_table_accepts_a_store_or_recorded_events(history):
    lab, _ = history
    from_store = stream_table(lab.event_store, names={})
    from_list = stream_table(lab.event_store.read_all(), names={})
    assert from_store.equals(from_list)
    assert from_store["key fields"].iloc[0].startswith("customer_id=00000000")


def test_stream_table_of_an_empty_lab_has_the_columns_and_no_rows(lab):
    table = stream_table(lab)
    assert table.empty
    assert list(table.columns) == ["stream", "version", "type", "key fields", "time"]


def test_stream_table_refuses_something_that_is_not_a_stream():
    with pytest.raises(TypeError, match="lab, an event store or recorded events"):
        stream_table(42)


# -- timeline chart ---------------------------------------------------------------------


def scatter_by_label(ax):
    return {c.get_label(): c for c in ax.collections}


def test_timeline_draws_each_kind_in_its_event_modeling_colour(history):
    lab, _ = history
    ax = timeline_chart(lab)
    points = scatter_by_label(ax)
    assert COLOURS == {"command": "#3b82f6", "event": "#f59e0b", "read-model": "#22c55e"}
    for kind, colour in COLOURS.items():
        assert {tuple(c) for c in points[kind].get_facecolors()} == {rgba(colour)}
    assert len(points["command"].get_offsets()) == 3
    assert len(points["event"].get_offsets()) == 4
    assert len(points["read-model"].get_offsets()) == 1


def test_timeline_marks_the_rejected_command_with_a_red_edge_and_a_cross(history):
    lab, _ = history
    ax = timeline_chart(lab)
    points = scatter_by_label(ax)
    edges = [tuple(c) for c in points["command"].get_edgecolors()]
    assert edges.count(rgba(REJECTED)) == 1
    crosses = points["rejected command"].get_offsets()
    assert [tuple(p) for p in crosses] == [(1.0, 2)]  # refused one simulated second in
    labels = [t.get_text() for t in ax.texts]
    assert "CreateOrder (rejected)" in labels


def test_timeline_labels_its_axes_lanes_title_and_notes(history):
    lab, _ = history
    ax = timeline_chart(lab)
    assert ax.get_xlabel().startswith("simulated time (s since 09:00:00)")
    assert ax.get_ylabel() == "kind of entry"
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "read model\nupdated",
        "event\nstored",
        "command\nsent",
    ]
    assert ax.get_title().startswith("Timeline: 3 commands (1 rejected), 4 events, 1 read-model")
    assert "09:00:00 to 09:00:03 simulated" in ax.get_title()
    labels = [t.get_text() for t in ax.texts]
    assert "1: OrderCreated" in labels and "4: OrderCancelled" in labels and "@3" in labels
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["command", "event", "read-model", "rejected command"]


def test_timeline_can_show_only_the_newest_entries_keeping_their_numbers(history):
    lab, _ = history
    ax = timeline_chart(lab, last=2)
    offsets = [tuple(p) for c in ax.collections for p in c.get_offsets()]
    assert len(offsets) == 2
    assert ax.get_title().startswith("Timeline: 1 commands (0 rejected), 1 events")


def test_timeline_has_a_fixed_size(history):
    lab, _ = history
    ax = timeline_chart(lab, figsize=(8, 3))
    assert tuple(ax.figure.get_size_inches()) == (8, 3)


# -- map of the lab ---------------------------------------------------------------------


def map_text(ax):
    return "\n".join(t.get_text() for t in ax.texts)


def test_map_lists_the_command_and_query_types_the_live_buses_route(lab):
    text = map_text(lab_map(lab))
    for name in ["CreateOrder", "CancelOrder", "ShipOrder", "GetOrderById", "GetOrdersByCustomer"]:
        assert name in text
    assert "Aggregate: Order" in text
    assert "Write side" in text and "Read side" in text


def test_map_shows_the_store_head_checkpoints_and_rows_as_they_are_now(history):
    lab, _ = history
    text = map_text(lab_map(lab))
    assert "head 4 (events stored)\n1 stream" in text
    assert "order_summary: @3, 1 rows" in text
    assert "customer_stats: @3, 1 rows" in text
    assert "position 3, 1 events behind" in text
    lab.catch_up()
    text = map_text(lab_map(lab))
    assert "order_summary: @4, 1 rows" in text and "0 events behind" in text


def test_map_follows_a_command_type_registered_later(lab):
    from cqrs_lab import Command

    class ReturnOrder(Command):
        pass

    lab.command_bus.register(ReturnOrder, lambda command: [])
    assert "ReturnOrder" in map_text(lab_map(lab))
