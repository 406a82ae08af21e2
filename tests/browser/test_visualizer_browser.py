"""The visualizer in a real browser: JupyterLab, headless Chromium, the mouse alone.

The first test follows one command through the flow view, steps the projection stepper
backwards (time travel) and forwards, and breaks the projector from the fault panel with
each fault, reading the verdict each time. The second measures click-to-redraw of the
flow view and the stepper with 10,000+ events in the lab and prints the figures (a
measurement, not an assert: speed lives in benchmarks).
"""

from __future__ import annotations

import json
import statistics

import pytest

from tests.browser.test_playground_browser import (
    BUSY_NOTEBOOK_CELLS,
    ROUND_TRIP_JS,
    open_and_run_all,
)

pytestmark = pytest.mark.browser

FLOW = ".cqrs-visualizer .cqrs-flow"


def attribute(page, selector: str, name: str) -> str:
    return page.get_attribute(selector, name)


def click_and_wait(page, button: str, selector: str, name: str) -> None:
    """Click ``button`` and wait until ``selector``'s attribute ``name`` changes."""
    before = attribute(page, selector, name)
    page.click(button)
    page.wait_for_function(
        "([s, n, b]) => document.querySelector(s)?.getAttribute(n) !== b",
        arg=[selector, name, before],
    )


def open_tab(page, title: str) -> None:
    page.locator(".cqrs-visualizer .lm-TabBar-tab", has_text=title).click()


def test_a_learner_follows_a_command_steps_a_projection_and_breaks_the_projector(
    browser, lab_server
):
    page = open_and_run_all(browser, lab_server, "07-playground.ipynb", "visualizer")
    page.wait_for_selector(FLOW)

    # Flow: the form's order becomes a token; step it to the store, then into the rows.
    click_and_wait(page, ".cqrs-flow-send", FLOW, "data-head")
    command = page.locator(f'{FLOW} [data-kind="command"][data-stage="command"]')
    assert command.count() == 1
    for _ in range(4):
        click_and_wait(page, ".cqrs-flow-step", FLOW, "data-step")
    assert page.locator(f'{FLOW} [data-kind="event"][data-status="waiting"]').count() >= 2
    for _ in range(40):  # the projector takes one event per step; older ones go first
        if attribute(page, FLOW, "data-lag") == "0":
            break
        click_and_wait(page, ".cqrs-flow-step", FLOW, "data-step")
    click_and_wait(page, ".cqrs-flow-step", FLOW, "data-step")
    assert attribute(page, FLOW, "data-lag") == "0"
    assert page.locator(f'{FLOW} [data-kind="row"][data-status="landed"]').count() >= 1

    # A refused order stops red at the handler, with its error.
    click_and_wait(page, ".cqrs-flow-refused", FLOW, "data-sent")
    for _ in range(2):
        click_and_wait(page, ".cqrs-flow-step", FLOW, "data-step")
    page.wait_for_selector(f'{FLOW} .cqrs-token-rejected[data-stage="handler"]')
    assert "InsufficientInventoryError" in page.inner_text(f"{FLOW} .cqrs-flow-notes")

    # Stepper: jump, one step back (time travel), one forward; the diff is coloured.
    open_tab(page, "Stepper")
    view = ".cqrs-stepper-panel .cqrs-stepper-view"
    page.wait_for_selector(view)
    page.fill(".cqrs-stepper-jump-to input", "8")
    page.press(".cqrs-stepper-jump-to input", "Tab")
    page.click(".cqrs-stepper-jump")
    page.wait_for_selector(f'{view}[data-position="8"]')
    click_and_wait(page, ".cqrs-stepper-back", view, "data-position")
    assert attribute(page, view, "data-position") == "7"
    assert attribute(page, view, "data-travelled") == "True"
    assert page.locator(f"{view} tr.cqrs-diff-changed, {view} tr.cqrs-diff-inserted").count() >= 1
    click_and_wait(page, ".cqrs-stepper-forward", view, "data-position")
    assert attribute(page, view, "data-position") == "8"

    # Faults: each one armed and run with the mouse; the verdict appears by itself.
    open_tab(page, "Faults")
    log = ".cqrs-fault-run-log .cqrs-fault-log"
    outcome = f"{log} .cqrs-fault-outcome"
    verdict = ".cqrs-fault-verdict .cqrs-verdict"
    page.wait_for_selector(log)  # the notebook ran the panel once already
    for fault in ("duplicate", "reorder", "crash before commit"):
        page.locator(".cqrs-fault-choice button", has_text=fault).click()
        page.click(".cqrs-fault-order")
        page.click(".cqrs-fault-arm")
        click_and_wait(page, ".cqrs-fault-run", log, "data-run")
        page.wait_for_selector(verdict)
        assert "identical" in page.inner_text(verdict), (fault, page.inner_text(verdict))
    assert "InjectedCrash" in page.inner_text(outcome)
    click_and_wait(page, ".cqrs-fault-run", log, "data-run")  # the batch is delivered again
    assert "committed" in page.inner_text(outcome)

    page.locator(".cqrs-fault-policy button", has_text="skip").click()
    page.locator(".cqrs-fault-choice button", has_text="poison event").click()
    page.click(".cqrs-fault-order")
    page.click(".cqrs-fault-arm")
    page.click(".cqrs-fault-run")
    page.wait_for_selector(".cqrs-fault-verdict .cqrs-verdict-differs")
    page.wait_for_selector(".cqrs-dead-letters tr.cqrs-dead-letter")
    page.click(".cqrs-fault-heal")
    page.click(".cqrs-fault-retry")
    page.wait_for_selector(".cqrs-fault-verdict .cqrs-verdict-identical")
    assert page.get_attribute(".cqrs-dead-letters", "data-count") == "0"
    page.close()


def test_visualizer_click_to_redraw_with_ten_thousand_events_is_measured(
    browser, lab_server, capsys
):
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
    (lab_server.root / "busy-visualizer.ipynb").write_text(json.dumps(notebook))
    page = open_and_run_all(browser, lab_server, "busy-visualizer.ipynb", "busy-visualizer")
    page.wait_for_selector(FLOW)
    head = int(attribute(page, FLOW, "data-head"))
    assert head >= 10_000

    timings: dict[str, list[float]] = {"flow send": [], "flow step": []}
    for _ in range(5):
        timings["flow send"].append(
            page.evaluate(ROUND_TRIP_JS, [".cqrs-flow-send", FLOW, "data-head"])
        )
        timings["flow step"].append(
            page.evaluate(ROUND_TRIP_JS, [".cqrs-flow-step", FLOW, "data-step"])
        )
    assert int(attribute(page, FLOW, "data-head")) == head + 5 * 2

    open_tab(page, "Stepper")
    view = ".cqrs-stepper-panel .cqrs-stepper-view"
    page.wait_for_selector(view)
    timings["stepper forward"], timings["stepper back (time travel)"] = [], []
    for _ in range(5):
        timings["stepper forward"].append(
            page.evaluate(ROUND_TRIP_JS, [".cqrs-stepper-forward", view, "data-position"])
        )
    page.fill(".cqrs-stepper-jump-to input", str(head - 20))
    page.press(".cqrs-stepper-jump-to input", "Tab")
    page.click(".cqrs-stepper-jump")
    page.wait_for_selector(f'{view}[data-position="{head - 20}"]')
    for _ in range(3):
        timings["stepper back (time travel)"].append(
            page.evaluate(ROUND_TRIP_JS, [".cqrs-stepper-back", view, "data-position"])
        )
    assert attribute(page, view, "data-position") == str(head - 23)
    with capsys.disabled():
        figures = "; ".join(
            f"{name} median {statistics.median(ms):.0f} ms (min {min(ms):.0f}, max {max(ms):.0f})"
            for name, ms in timings.items()
        )
        print(f"\nvisualizer click-to-redraw with {head} events: {figures}")
    page.close()
