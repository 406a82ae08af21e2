"""The playground, driven headless: click buttons, set widgets, read the panels' HTML back."""

from __future__ import annotations

import re

import pytest

from cqrs_lab.orders import ADA, GRACE, build_lab
from cqrs_lab.presentation import Playground


@pytest.fixture
def app(lab):
    return Playground(lab)


def state(app):
    """What a rejected command must leave alone: the store's head and every table."""
    lab = app.lab
    return (
        lab.event_store.head,
        lab.read_model("order_summary").to_dict("list"),
        lab.read_model("customer_stats").to_dict("list"),
        app.events.value,
        app.order_summary.value,
    )


def event_positions(app) -> list[int]:
    return [
        int(p)
        for p in re.findall(r'class="cqrs-event[^"]*" data-position="(\d+)"', app.events.value)
    ]


def order_rows(app) -> list[str]:
    return re.findall(r'class="cqrs-row[^"]*" data-key="([^"]+)"', app.order_summary.value)


def stale_rows(app) -> list[str]:
    return re.findall(r'class="cqrs-row cqrs-stale" data-key="([^"]+)"', app.order_summary.value)


def place_order(app, lines=(("SILENT-KEYBOARD", 2),), customer=ADA):
    app.form.fill(customer, list(lines))
    app.create_button.click()
    assert app.last_error is None, app.errors.value
    return app.lab.event_store.read_all()[-len(lines) - 1].stream_id


# -- create ----------------------------------------------------------------------------


def test_clicking_create_shows_the_new_events_but_not_yet_a_read_model_row(app):
    order_id = place_order(app, [("SILENT-KEYBOARD", 2), ("MIDNIGHT-LAMP", 1)])

    assert event_positions(app) == [1, 2, 3]
    assert 'data-type="OrderCreated"' in app.events.value
    assert str(order_id) in app.events.value
    assert "No errors." in app.errors.value
    assert order_rows(app) == []  # async: the projector has not run


def test_create_then_catch_up_makes_the_row_appear_with_its_total(app):
    order_id = place_order(app, [("SILENT-KEYBOARD", 2)])

    app.catch_up_button.click()

    assert order_rows(app) == [str(order_id)]
    assert "179.00" in app.order_summary.value  # 2 x 89.50
    assert "Ada Lovelace" in app.customer_stats.value
    assert "projector at position 2" in app.events.value


def test_the_order_dropdown_selects_the_newest_order(app):
    place_order(app)
    newest = place_order(app, customer=GRACE)

    assert app.order.value == newest
    assert "Grace Hopper" in app.order.label


# -- invalid input: error shown, nothing changed -----------------------------------------


@pytest.mark.parametrize(
    ("lines", "address", "message"),
    [
        ([("SILENT-KEYBOARD", 0)], {}, "items.0.quantity"),
        ([], {}, "items: List should have at least 1 item"),
        ([("WOBBLY-TABLE", 1)], {}, "insufficient inventory for product WOBBLY-TABLE"),
        ([("CRUNCHY-ARMCHAIR", 6)], {}, "requested 6, available 5"),
        ([("SILENT-KEYBOARD", 1)], {"city": ""}, "shipping_address.city"),
    ],
    ids=["quantity-zero", "empty-order", "out-of-stock", "more-than-in-stock", "no-city"],
)
def test_invalid_create_shows_the_error_and_changes_nothing(app, lines, address, message):
    place_order(app)
    app.catch_up_button.click()
    before = state(app)

    app.form.fill(ADA, lines, **address)
    app.create_button.click()

    assert message in app.errors.value
    assert "Rejected" in app.errors.value
    assert state(app) == before


def test_cancelling_a_shipped_order_shows_the_error_and_changes_nothing(app):
    order_id = place_order(app)
    app.ship_button.click()
    app.catch_up_button.click()
    before = state(app)

    app.cancel_button.click()

    assert f"Cannot cancel shipped order {order_id}" in app.errors.value
    assert state(app) == before


def test_a_blank_cancel_reason_names_the_reason_field(app):
    place_order(app)
    before = state(app)

    app.reason.value = ""
    app.cancel_button.click()

    assert "reason" in app.errors.value
    assert state(app) == before


def test_a_good_command_clears_the_previous_error(app):
    app.form.fill(ADA, [])
    app.create_button.click()
    assert "Rejected" in app.errors.value

    place_order(app)

    assert "No errors." in app.errors.value


# -- cancel and ship -----------------------------------------------------------------------


def test_cancel_appends_order_cancelled_with_the_reason_and_the_row_follows(app):
    order_id = place_order(app)
    app.catch_up_button.click()

    app.reason.value = "found a cheaper one"
    app.cancel_button.click()

    assert 'data-type="OrderCancelled"' in app.events.value
    assert "reason: found a cheaper one" in app.events.value
    assert stale_rows(app) == [str(order_id)]  # the row still says pending
    app.catch_up_button.click()
    assert stale_rows(app) == []
    assert "cancelled" in app.order_summary.value


def test_ship_appends_order_shipped_and_the_row_says_shipped_after_catch_up(app):
    place_order(app)

    app.ship_button.click()
    app.catch_up_button.click()

    assert 'data-type="OrderShipped"' in app.events.value
    assert "shipped" in app.order_summary.value


# -- query -----------------------------------------------------------------------------------


def test_query_answers_none_until_the_projector_has_run_then_the_order_view(app):
    order_id = place_order(app)

    app.query_button.click()
    assert "returned <b>None</b>" in app.query_result.value

    app.catch_up_button.click()
    app.query_button.click()
    assert f'data-order-id="{order_id}"' in app.query_result.value
    assert "Ada Lovelace" in app.query_result.value and "pending" in app.query_result.value


# -- projector controls ----------------------------------------------------------------------


def test_step_applies_one_event_and_moves_the_projector_mark(app):
    place_order(app)  # 2 events

    app.step_button.click()

    assert app.lab.projector.position == 1
    assert "projector at position 1" in app.events.value
    assert 'class="cqrs-event cqrs-pending" data-position="2"' in app.events.value
    assert len(order_rows(app)) == 1 and stale_rows(app) == order_rows(app)


def test_the_processing_delay_advances_the_simulated_clock_per_batch(app):
    place_order(app)
    start = app.lab.clock.now()
    app.delay.value = 30.0
    app.batch_size.value = 1

    app.catch_up_button.click()  # two events, two batches

    assert (app.lab.clock.now() - start).total_seconds() == 60.0
    assert app.lab.projector.batch_size == 1
    assert app.progress.value == 1.0


def test_paused_projector_refuses_to_run_and_inline_mode_waits_for_resume(app):
    app.pause_button.click()
    assert app.step_button.disabled and app.pause_button.description == "Resume projector"
    app.mode.value = "inline"  # disabled in the browser, but the state may still change

    place_order(app)
    app.catch_up()

    assert app.lab.projector.position == 0
    assert "paused" in app.errors.value
    app.pause_button.click()
    assert app.lab.projector.position == 2


def test_inline_mode_projects_each_command_before_the_click_returns(app):
    place_order(app)

    app.mode.value = "inline"
    assert app.lab.consistency == "inline"
    assert app.lab.projector.position == 2  # switching catches up

    order_id = place_order(app, customer=GRACE)
    assert str(order_id) in order_rows(app)
    assert stale_rows(app) == []

    app.mode.value = "async"
    place_order(app)
    assert app.lab.projector.position == 4


def test_rebuild_recomputes_the_read_models_and_fills_the_progress_bar(app):
    place_order(app)
    place_order(app, customer=GRACE)
    app.catch_up_button.click()
    before = app.lab.read_model("order_summary").to_dict("list")
    app.progress.value = 0.0

    app.rebuild_button.click()

    assert app.progress.value == 1.0
    assert app.lab.read_model("order_summary").to_dict("list") == before
    assert len(order_rows(app)) == 2


def test_lag_chart_shows_events_behind_and_the_alert_threshold(app):
    for _ in range(6):  # 12 events > threshold 10
        place_order(app)

    chart = app.lag_chart.value
    assert "events behind (now 12" in chart
    assert "alert threshold 10" in chart
    assert 'data-alerts="0"' not in chart
    assert "simulated time (s): 0 to" in chart


# -- time travel -----------------------------------------------------------------------------


def test_time_travel_shows_the_read_model_as_of_the_slider_position(app):
    first = place_order(app)
    second = place_order(app, customer=GRACE)
    assert app.time_slider.max == 4

    app.time_slider.value = 2
    assert str(first)[:8] in app.as_of.value
    assert str(second)[:8] not in app.as_of.value
    assert "as of position 2 of 4: 1 orders" in app.as_of.value

    app.time_slider.value = 0
    assert "0 orders" in app.as_of.value
    assert app.lab.projector.position == 0  # time travel never touches the live read side


# -- a busy lab stays bounded ------------------------------------------------------------------


def test_panels_stay_bounded_in_a_lab_with_thousands_of_events():
    from cqrs_lab.orders.workloads.workload import run_workload, workload_customers, workload_stock

    lab = build_lab(seed=3, customers=workload_customers(50), stock=workload_stock())
    run_workload(lab, 300)  # 1,200+ events
    app = Playground(lab, event_limit=12, row_limit=10)
    app.catch_up_button.click()

    place_order(app, lines=[("PAPER-CLIPS", 1)], customer=next(iter(lab.catalogue.customers)))

    assert len(event_positions(app)) == 12
    assert event_positions(app)[-1] == lab.event_store.head
    assert "projector at position" in app.events.value
    assert len(order_rows(app)) == 10
    assert "300 rows" in app.order_summary.value
    assert len(app.order.options) == 20


def test_the_batch_size_box_shows_what_one_catch_up_transaction_takes(app):
    from cqrs_lab.read_side.projector import CATCH_UP_BATCH

    assert app.lab.projector.batch_size is None  # the lab's default: the fast path
    assert app.batch_size.value == CATCH_UP_BATCH
    app.batch_size.value = 3
    assert app.lab.projector.batch_size == 3


# -- stock -------------------------------------------------------------------------------


def stock_row(app, product: str) -> dict[str, int]:
    """The stock panel's row for ``product``: on hand, reserved, available."""
    row = re.search(rf'data-key="{product}"[^>]*>(.*?)</tr>', app.stock.value).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    return dict(zip(("on_hand", "reserved", "available"), map(int, cells[1:])))


def product_label(app, product: str) -> str:
    return next(label for label, value in app.form.products[0].options if value == product)


def test_the_stock_panel_shows_the_stock_as_it_is_now_after_orders_and_cancels(app):
    assert stock_row(app, "CRUNCHY-ARMCHAIR") == {"on_hand": 5, "reserved": 0, "available": 5}

    order_id = place_order(app, [("CRUNCHY-ARMCHAIR", 2)])

    assert stock_row(app, "CRUNCHY-ARMCHAIR") == {"on_hand": 5, "reserved": 2, "available": 3}
    assert product_label(app, "CRUNCHY-ARMCHAIR") == "CRUNCHY-ARMCHAIR (3 in stock)"
    assert app.form.products[0].value == "CRUNCHY-ARMCHAIR"  # the choice survives the relabel
    app.cancel_order(order_id)
    assert stock_row(app, "CRUNCHY-ARMCHAIR") == {"on_hand": 5, "reserved": 0, "available": 5}
    assert product_label(app, "CRUNCHY-ARMCHAIR") == "CRUNCHY-ARMCHAIR (5 in stock)"


def test_an_order_for_more_than_is_left_is_refused_and_the_stock_panel_says_why(app):
    place_order(app, [("CRUNCHY-ARMCHAIR", 4)])
    app.create_order(ADA, [("CRUNCHY-ARMCHAIR", 2)])
    assert "InsufficientInventoryError" in app.errors.value
    assert stock_row(app, "CRUNCHY-ARMCHAIR")["available"] == 1


def test_the_stock_panel_follows_orders_placed_outside_the_app_after_refresh(app):
    app.lab.dispatch(app.form.command())  # the form holds one CRUNCHY-ARMCHAIR
    assert stock_row(app, "CRUNCHY-ARMCHAIR")["reserved"] == 0  # not redrawn yet
    app.refresh()
    assert stock_row(app, "CRUNCHY-ARMCHAIR") == {"on_hand": 5, "reserved": 1, "available": 4}


# -- keep and reset the lab --------------------------------------------------------------


def test_a_lab_in_memory_says_so_and_has_nothing_to_reset(app):
    assert "in memory" in app.lab_status.value
    assert app.reset_button.disabled
    app.reset_lab()
    assert "no kept lab to reset" in app.errors.value


def test_keep_in_folder_switches_to_a_kept_lab_that_is_restored_when_built_again(app, tmp_path):
    shown, old_button = app.widget, app.create_button
    app.folder.value = str(tmp_path / "ada")
    app.keep_button.click()

    assert app.lab.path == tmp_path / "ada" and app.widget is shown  # same widget on screen
    assert app.create_button is not old_button and old_button.comm is None  # old one closed
    assert "kept" in app.lab_status.value and not app.reset_button.disabled
    order_id = place_order(app, [("CRUNCHY-ARMCHAIR", 1)])
    app.lab.close()
    again = Playground(build_lab(path=tmp_path / "ada"))
    assert again.lab.event_store.read_all()[0].stream_id == order_id
    assert stock_row(again, "CRUNCHY-ARMCHAIR")["available"] == 4  # stock is kept too
    assert "(2 events)" in again.lab_status.value
    again.lab.close()


def test_a_refused_folder_shows_the_error_and_keeps_the_lab_in_use(app, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    before = app.lab
    app.keep_in_folder(tmp_path / "a-file")
    assert app.lab is before and app.last_error is not None
    assert "a-file" in app.errors.value


@pytest.fixture
def kept_app(tmp_path):
    app = Playground(build_lab(path=tmp_path / "ada"))
    place_order(app, [("CRUNCHY-ARMCHAIR", 2)])
    app.catch_up()
    yield app
    app.lab.close()


def test_reset_asks_first_and_a_no_changes_nothing(kept_app):
    kept_app.reset_button.click()

    assert kept_app.reset_confirmation.layout.display != "none"
    assert "Delete the 2 events" in kept_app.reset_question.value
    assert kept_app.lab.event_store.head == 2  # asking deleted nothing
    kept_app.cancel_reset_button.click()
    assert kept_app.reset_confirmation.layout.display == "none"
    assert kept_app.lab.event_store.head == 2
    kept_app.confirm_reset()  # a yes with no question open is refused too
    assert kept_app.lab.event_store.head == 2 and "press Reset lab" in kept_app.errors.value


def test_reset_then_yes_starts_the_kept_lab_over_empty(kept_app, tmp_path):
    kept_app.reset_button.click()
    kept_app.confirm_reset_button.click()

    lab = kept_app.lab
    assert lab.path == tmp_path / "ada" and lab.event_store.head == 0
    assert order_rows(kept_app) == [] and "(0 events)" in kept_app.lab_status.value
    assert stock_row(kept_app, "CRUNCHY-ARMCHAIR")["available"] == 5
    assert kept_app.reset_confirmation.layout.display == "none"
    assert kept_app.last_error is None


def test_reset_refuses_a_folder_holding_other_files_and_the_lab_goes_on(kept_app, tmp_path):
    (tmp_path / "ada" / "notes.txt").write_text("mine")
    kept_app.reset_button.click()
    kept_app.confirm_reset_button.click()

    assert "NotALabFolderError" in kept_app.errors.value
    assert str(tmp_path / "ada") in kept_app.errors.value and "notes.txt" in kept_app.errors.value
    assert (tmp_path / "ada" / "notes.txt").read_text() == "mine"
    assert kept_app.lab.event_store.head == 2 and len(order_rows(kept_app)) == 1


# -- what notebook 07's questionnaire says the app shows ---------------------------------


@pytest.mark.parametrize("lines", [[("CRUNCHY-ARMCHAIR", 6)], [("CRUNCHY-ARMCHAIR", 3)] * 2])
def test_six_armchairs_are_refused_in_one_line_or_two_and_the_stock_does_not_move(app, lines):
    before = (app.lab.event_store.head, app.stock.value)
    app.create_order(ADA, lines)
    assert "requested 6, available 5" in app.errors.value
    assert (app.lab.event_store.head, app.stock.value) == before


def test_a_stepped_order_row_is_stale_after_its_first_event_and_current_after_its_last(app):
    order_id = place_order(app, [("MIDNIGHT-LAMP", 1)])
    app.step()
    assert stale_rows(app) == [str(order_id)]
    app.step()
    assert order_rows(app) == [str(order_id)] and stale_rows(app) == []
