"""The fault panel: arm a fault with a click, run, and the consistency verdict appears."""

import re

import pytest

from cqrs_lab.orders import build_lab
from cqrs_lab.presentation.fault_panel import FaultPanel


@pytest.fixture
def panel():
    lab = build_lab()
    panel = FaultPanel(lab)
    panel.order_button.click()  # positions 1-2: an order and its line
    return panel


def verdict(panel):
    return "identical" if "cqrs-verdict-identical" in panel.verdict.value else "differs"


def arm_and_run(panel, fault):
    panel.fault.value = fault
    panel.arm_button.click()
    panel.run_button.click()


def test_a_duplicate_delivery_is_dropped_and_the_read_models_stay_identical(panel):
    panel.fault.value = "duplicate"
    panel.arm_button.click()
    assert "duplicate position 1" in panel.armed.value
    panel.run_button.click()
    assert "delivered position 1 twice" in panel.log.value
    assert verdict(panel) == "identical"
    assert panel.lab.projector.position == 2


def test_a_reordered_batch_is_put_back_in_order_and_stays_identical(panel):
    arm_and_run(panel, "reorder")
    assert "in reverse" in panel.log.value
    assert verdict(panel) == "identical"
    assert panel.lab.projector.position == 2


def test_a_crash_before_commit_commits_nothing_and_the_next_run_delivers_again(panel):
    arm_and_run(panel, "crash before commit")
    assert "rolled back, nothing committed: InjectedCrash" in panel.log.value
    assert panel.lab.projector.position == 0
    assert verdict(panel) == "identical"  # behind, but nothing wrong at its checkpoint
    panel.run_button.click()
    assert panel.lab.projector.position == 2
    assert verdict(panel) == "identical"


def test_a_poison_event_under_raise_rolls_back_and_is_shown(panel):
    arm_and_run(panel, "poison event")
    assert "PoisonedEventError" in panel.log.value
    assert 'data-count="0"' in panel.dead_letters.value


def test_a_skipped_poison_event_is_a_dead_letter_until_healed_and_retried(panel):
    panel.policy.value = "skip"
    assert panel.lab.projector.dead_letter_policy == "skip"
    arm_and_run(panel, "poison event")
    assert verdict(panel) == "differs"
    assert re.search(r'data-differences="[1-9]', panel.verdict.value)
    assert 'class="cqrs-difference"' in panel.verdict.value
    # The poisoned OrderCreated, and its line (which then has no order), per read model.
    assert 'class="cqrs-dead-letters" data-count="4"' in panel.dead_letters.value
    panel.retry_button.click()  # not fixed yet: still failing
    assert verdict(panel) == "differs"
    panel.heal_button.click()
    panel.retry_button.click()
    assert "4 dead letter(s) now apply" in panel.log.value
    assert verdict(panel) == "identical"
    assert 'data-count="0"' in panel.dead_letters.value


def test_the_playground_is_told_after_each_change():
    told = []
    panel = FaultPanel(build_lab(), on_change=lambda: told.append(1))
    panel.order_button.click()
    panel.run_button.click()
    assert len(told) == 2


def test_an_unknown_fault_is_refused_by_name(panel):
    with pytest.raises(ValueError, match="fault must be one of"):
        panel.arm("flood")
