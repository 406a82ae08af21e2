"""The playground in a real browser: JupyterLab, headless Chromium, clicks on real buttons.

The first test is the learner's path through notebooks/07-playground.ipynb (run all cells,
place an order with a click, see its event, catch up, see its row). The second measures
the click-to-update round trip with 10,000+ events in the lab and prints it; the page
must update (correctness), the figure itself is reported, not asserted (speed lives in
benchmarks).
"""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import open_notebook, write_busy_notebook

pytestmark = pytest.mark.browser

SCREENSHOT = os.environ.get("CQRS_PLAYGROUND_SCREENSHOT")  # a path: save the app's picture
PLAYGROUND = ".cqrs-playground .cqrs-create-button"


def head_of(page) -> int:
    return int(page.get_attribute(".cqrs-events .cqrs-event-stream", "data-head"))


def test_a_learner_places_an_order_by_click_and_sees_the_event_then_the_row(browser, lab_server):
    page = open_notebook(browser, lab_server, "07-playground.ipynb", "learner", PLAYGROUND)
    assert page.locator(".cqrs-create-button").count() == 1
    head = head_of(page)

    page.click(".cqrs-create-button")

    new_event = page.locator(f'.cqrs-events tr[data-position="{head + 1}"]')
    new_event.wait_for()
    assert new_event.get_attribute("data-type") == "OrderCreated"
    assert "cqrs-pending" in new_event.get_attribute("class")
    order_id = new_event.get_attribute("data-stream")
    row = page.locator(f'.cqrs-order-summary tr[data-key="{order_id}"]')
    assert row.count() == 0  # async: not projected yet

    page.click(".cqrs-catch-up-button")

    row.wait_for()
    assert "Ada Lovelace" in row.inner_text()
    assert page.locator(".cqrs-errors .cqrs-error-none").is_visible()
    page.click(".cqrs-query-button")  # the read side answers for the new order
    page.wait_for_selector(f'.cqrs-query-result [data-order-id="{order_id}"]')

    # A bad quantity typed into the form: the error shows, and no event is added.
    head = head_of(page)
    page.fill(".cqrs-quantity-0 input", "0")
    page.press(".cqrs-quantity-0 input", "Tab")
    page.click(".cqrs-create-button")
    page.wait_for_selector(".cqrs-errors .cqrs-error-message")
    assert "items.0.quantity" in page.inner_text(".cqrs-errors")
    assert head_of(page) == head
    if SCREENSHOT:
        page.locator(".cqrs-playground").screenshot(path=SCREENSHOT)
    page.close()


def test_click_round_trip_with_ten_thousand_events_is_measured(browser, lab_server, click_timings):
    notebook = write_busy_notebook(lab_server, "busy-playground.ipynb")
    page = open_notebook(browser, lab_server, notebook, "busy", PLAYGROUND)
    head = head_of(page)
    assert head >= 10_000
    click_timings.title = f"playground click round trip with {head} events"

    for _ in range(7):
        click_timings.click(
            page, "create", ".cqrs-create-button", ".cqrs-event-stream", "data-head"
        )
        click_timings.click(
            page, "catch up", ".cqrs-catch-up-button", ".cqrs-event-stream", "data-position"
        )

    assert head_of(page) == head + 7 * 2  # every click landed: OrderCreated + one line
    assert page.get_attribute(".cqrs-event-stream", "data-position") == str(head_of(page))
    page.close()
