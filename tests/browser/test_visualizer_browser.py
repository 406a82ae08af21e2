"""The visualizer in a real browser: JupyterLab, headless Chromium, the mouse alone.

The first test follows one command through the flow view, steps the projection stepper
backwards (time travel) and forwards, breaks the projector from the fault panel with
each fault, reading the verdict each time, and runs the blue-green race to its cut-over.
The second measures click-to-redraw of the flow view, the stepper, the fault panel and
the race with 10,000+ events in the lab and prints the figures (a measurement, not an
assert: speed lives in benchmarks).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_notebook, write_busy_notebook

pytestmark = pytest.mark.browser

FLOW = ".cqrs-visualizer .cqrs-flow"
VIEW = ".cqrs-stepper-panel .cqrs-stepper-view"
RACE = ".cqrs-bg-picture .cqrs-blue-green"
LOG = ".cqrs-fault-run-log .cqrs-fault-log"


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


def jump(page, position: int) -> None:
    """Type ``position`` into the stepper's "jump to" box, press Go, wait until it shows."""
    box = ".cqrs-stepper-jump-to input"
    page.fill(box, str(position))
    page.press(box, "Tab")
    page.wait_for_function(
        "([s, v]) => document.querySelector(s)?.value === v", arg=[box, str(position)]
    )
    page.click(".cqrs-stepper-jump")
    try:
        page.wait_for_selector(f'{VIEW}[data-position="{position}"]')
    except Exception as error:  # say what the stepper shows instead
        shown = page.locator(VIEW).first.inner_text()[:300]
        logged = page.locator(".jp-OutputArea-output").all_inner_texts()[-3:]
        raise AssertionError(
            f"no jump to {position}; shown: {shown!r}; outputs: {logged}"
        ) from error


def open_tab(page, title: str) -> None:
    page.locator(".cqrs-visualizer .lm-TabBar-tab", has_text=title).click()


def test_a_learner_follows_a_command_steps_a_projection_and_breaks_the_projector(
    browser, lab_server
):
    page = open_notebook(browser, lab_server, "07-playground.ipynb", "visualizer", FLOW)

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
    view = VIEW
    page.wait_for_selector(view)
    jump(page, 8)
    click_and_wait(page, ".cqrs-stepper-back", view, "data-position")
    assert attribute(page, view, "data-position") == "7"
    assert attribute(page, view, "data-travelled") == "True"
    assert page.locator(f"{view} tr.cqrs-diff-changed, {view} tr.cqrs-diff-inserted").count() >= 1
    click_and_wait(page, ".cqrs-stepper-forward", view, "data-position")
    assert attribute(page, view, "data-position") == "8"

    # Faults: each one armed and run with the mouse; the verdict appears by itself.
    open_tab(page, "Faults")
    log = LOG
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

    # Blue-green: green fills its lane beside blue, blue serves until the cut-over.
    open_tab(page, "Blue-green")
    page.click(".cqrs-bg-start")
    page.wait_for_selector(f'{RACE}[data-green="0"]')
    head = int(attribute(page, RACE, "data-head"))
    assert int(attribute(page, RACE, "data-blue")) > 0  # the live one has a head start
    filled = []
    for _ in range(3):
        click_and_wait(page, ".cqrs-bg-advance", RACE, "data-green")
        filled.append(int(attribute(page, RACE, "data-green")))
        assert attribute(page, RACE, "data-serving") == "blue"
    assert filled == sorted(filled) and 0 < filled[0] < filled[-1] <= head
    click_and_wait(page, ".cqrs-bg-cut", RACE, "data-serving")
    assert attribute(page, RACE, "data-serving") == "green"
    assert attribute(page, RACE, "data-green") == str(head)
    assert page.get_attribute(f"{RACE} .cqrs-cut-over", "data-position") == str(head)
    assert "served by green" in page.inner_text(RACE).replace("\n", " ")
    page.close()


def test_visualizer_click_to_redraw_with_ten_thousand_events_is_measured(
    browser, lab_server, click_timings
):
    notebook = write_busy_notebook(lab_server, "busy-visualizer.ipynb")
    page = open_notebook(browser, lab_server, notebook, "busy-visualizer", FLOW)
    head = int(attribute(page, FLOW, "data-head"))
    assert head >= 10_000
    click_timings.title = f"visualizer click-to-redraw with {head} events"

    for _ in range(5):
        click_timings.click(page, "flow send", ".cqrs-flow-send", FLOW, "data-head")
        click_timings.click(page, "flow step", ".cqrs-flow-step", FLOW, "data-step")
    assert int(attribute(page, FLOW, "data-head")) == head + 5 * 2
    head += 10

    # Both directions near the head, onto events not shown before (nothing remembered).
    open_tab(page, "Stepper")
    page.wait_for_selector(VIEW)
    jump(page, head - 20)
    for _ in range(5):
        click_timings.click(
            page, "stepper back (time travel)", ".cqrs-stepper-back", VIEW, "data-position"
        )
    assert attribute(page, VIEW, "data-position") == str(head - 25)
    assert attribute(page, VIEW, "data-travelled") == "True"
    jump(page, head - 10)
    for _ in range(5):
        click_timings.click(page, "stepper forward", ".cqrs-stepper-forward", VIEW, "data-position")
    assert attribute(page, VIEW, "data-position") == str(head - 5)
    assert "shown again" not in page.inner_text(VIEW)

    open_tab(page, "Faults")
    page.wait_for_selector(".cqrs-fault-run")
    for _ in range(3):  # each run: one new order, one fault, the run and its verdict
        page.click(".cqrs-fault-order")
        page.click(".cqrs-fault-arm")
        click_timings.click(page, "fault run + verdict", ".cqrs-fault-run", LOG, "data-run")
        assert "identical" in page.inner_text(".cqrs-fault-verdict .cqrs-verdict")

    open_tab(page, "Blue-green")
    page.click(".cqrs-bg-start")
    page.wait_for_selector(f'{RACE}[data-green="0"]')
    for _ in range(5):
        click_timings.click(page, "race advance", ".cqrs-bg-advance", RACE, "data-green")
    assert attribute(page, RACE, "data-serving") == "blue"
    click_timings.click(page, "race cut over (catches up)", ".cqrs-bg-cut", RACE, "data-serving")
    assert attribute(page, RACE, "data-serving") == "green"
    page.close()
