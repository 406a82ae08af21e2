"""The playground in a real browser: JupyterLab, headless Chromium, clicks on real buttons.

The first test is the learner's path through notebooks/07-playground.ipynb (run all cells,
place an order with a click, see its event, catch up, see its row). The second measures
the click-to-update round trip with 10,000+ events in the lab and prints it; the page
must update (correctness), the figure itself is reported, not asserted (speed lives in
benchmarks).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import warnings

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # the fixtures skip these tests without playwright
    PlaywrightTimeoutError = TimeoutError

pytestmark = pytest.mark.browser

SCREENSHOT = os.environ.get("CQRS_PLAYGROUND_SCREENSHOT")  # a path: save the app's picture
LOAD_TIMEOUT_MS = 180_000  # Lab start, kernel start and Run All on a loaded 2-core machine
UPDATE_TIMEOUT_MS = 30_000

BUSY_NOTEBOOK_CELLS = [
    "from cqrs_lab.orders import build_lab\n"
    "from cqrs_lab.orders.workloads.workload import run_workload, workload_customers, workload_stock\n"
    "from cqrs_lab.presentation import Playground",
    "lab = build_lab(seed=11, customers=workload_customers(), stock=workload_stock(),\n"
    "                max_events_behind=None)\n"
    "run_workload(lab, 2500)\n"
    "lab.catch_up()\n"
    "assert lab.event_store.head >= 10_000",
    "Playground(lab)",
]

# Click a button and resolve with the milliseconds until `selector`'s attribute changes.
ROUND_TRIP_JS = """
async ([button, selector, attribute]) => {
  const read = () => document.querySelector(selector)?.getAttribute(attribute);
  const before = read();
  const start = performance.now();
  await new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (read() !== before) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true});
    setTimeout(() => { observer.disconnect(); reject(new Error(selector + " never changed")); },
               TIMEOUT);
    document.querySelector(button).click();
  });
  return performance.now() - start;
}
""".replace("TIMEOUT", str(UPDATE_TIMEOUT_MS))


def run_all_cells(page) -> None:
    """Run > Run All Cells, again until a cell starts: a click made while the kernel is
    still connecting can be lost, and the Lab gives no reliable "ready" mark before."""
    started = (
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
    )
    seen: list[str] = []
    for _ in range(LOAD_TIMEOUT_MS // 20_000):
        accept_any_dialog(page, seen)
        try:
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(
                timeout=10_000
            )
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(
                timeout=10_000
            )
            page.wait_for_function(started, timeout=20_000)
            return
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")  # close the menu if it is still open
    raise AssertionError(f"Run All Cells never started a cell; dialogs seen: {seen}")


def accept_any_dialog(page, seen: list[str]) -> None:
    """Accept a JupyterLab dialog that would block the menu (e.g. "Select Kernel" while
    the kernel list is still loading on a busy machine), and say so in the test report."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        text = " ".join(dialog.all_inner_texts())
        seen.append(text)
        warnings.warn(f"accepted a JupyterLab dialog: {text!r}", stacklevel=2)
        kernels = page.locator(".jp-Dialog select")
        if kernels.count():  # "Select Kernel": pick the Python kernel, never "No Kernel"
            python = [o for o in kernels.first.locator("option").all_inner_texts() if "Python" in o]
            if python:
                kernels.first.select_option(label=python[0], timeout=10_000)
        accept = page.locator(".jp-Dialog .jp-mod-accept")
        if accept.count():
            accept.first.click(timeout=10_000)
        else:
            page.keyboard.press("Escape")


def wait_for_the_playground(page) -> None:
    """Wait for the playground's buttons; if they do not come, run all cells once more.

    On a cold start the widget manager may still be connecting to the kernel when the
    playground's output arrives; JupyterLab then shows "Error displaying widget: model
    not found" instead of the widget (jupyter-widgets/ipywidgets#3231). A second Run All,
    with the manager ready, renders it. A third failure is a real one: it reports what
    the playground's cell shows.
    """
    button = ".cqrs-playground .cqrs-create-button"
    try:
        page.wait_for_selector(button, timeout=LOAD_TIMEOUT_MS // 3)
        return
    except PlaywrightTimeoutError:
        warnings.warn(
            "the playground did not render after Run All; running all cells again", stacklevel=2
        )
        run_all_cells(page)
    try:
        page.wait_for_selector(button, timeout=LOAD_TIMEOUT_MS // 3)
    except PlaywrightTimeoutError:
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        raise AssertionError(f"no playground after two Run All; outputs: {outputs[-5:]}") from None


def open_and_run_all(browser, lab_server, notebook: str, workspace: str):
    """Open ``notebook`` in its own Lab workspace, run all cells, wait for the app."""
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    page.goto(lab_server.url(f"/lab/workspaces/{workspace}/tree/{notebook}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    run_all_cells(page)
    wait_for_the_playground(page)
    # Every code cell has run once every prompt shows a number (none is queued: "[*]").
    page.wait_for_function(
        """() => {
          const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
          return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }"""
    )
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks
    assert page.locator(".cqrs-create-button").count() == 1
    page.set_default_timeout(UPDATE_TIMEOUT_MS)
    return page


def head_of(page) -> int:
    return int(page.get_attribute(".cqrs-events .cqrs-event-stream", "data-head"))


def test_a_learner_places_an_order_by_click_and_sees_the_event_then_the_row(browser, lab_server):
    page = open_and_run_all(browser, lab_server, "07-playground.ipynb", "learner")
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


def test_click_round_trip_with_ten_thousand_events_is_measured(browser, lab_server, capsys):
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": s,
            }
            for s in BUSY_NOTEBOOK_CELLS
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab_server.root / "busy-playground.ipynb").write_text(json.dumps(notebook))
    page = open_and_run_all(browser, lab_server, "busy-playground.ipynb", "busy")
    assert head_of(page) >= 10_000
    head = head_of(page)

    creates, catch_ups = [], []
    for _ in range(7):
        creates.append(
            page.evaluate(ROUND_TRIP_JS, [".cqrs-create-button", ".cqrs-event-stream", "data-head"])
        )
        catch_ups.append(
            page.evaluate(
                ROUND_TRIP_JS, [".cqrs-catch-up-button", ".cqrs-event-stream", "data-position"]
            )
        )

    assert head_of(page) == head + 7 * 2  # every click landed: OrderCreated + one line
    assert page.get_attribute(".cqrs-event-stream", "data-position") == str(head_of(page))
    with capsys.disabled():
        print(
            f"\nplayground click round trip with {head} events: "
            f"create median {statistics.median(creates):.0f} ms "
            f"(min {min(creates):.0f}, max {max(creates):.0f}); "
            f"catch up median {statistics.median(catch_ups):.0f} ms "
            f"(min {min(catch_ups):.0f}, max {max(catch_ups):.0f})"
        )
    page.close()
