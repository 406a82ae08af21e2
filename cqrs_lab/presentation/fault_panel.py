"""The fault panel: break the projector with the mouse, then see whether the read models held.

Arm one fault for the next batch (a duplicate delivery, a reordered batch, a crash before
commit, or a poison event), press Run, and the consistency check against a rebuild appears
by itself (:mod:`cqrs_lab.presentation.fault_verdict`). Dead letters, from a poison event
under the ``stop`` or ``skip`` policy, are listed with a Retry button; Heal is "the fix".
Everything goes through the lab's public API: the projector's ``faults``
(:class:`~cqrs_lab.FaultPlan`), its ``dead_letter_policy``, ``catch_up`` and
``retry_dead_letters``, and :func:`~cqrs_lab.check_consistency`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from cqrs_lab.breaking.consistency_check import check_consistency
from cqrs_lab.breaking.faults import FaultPlan
from cqrs_lab.presentation.demo_orders import default_order
from cqrs_lab.presentation.fault_verdict import render_dead_letters, render_log, render_verdict
from cqrs_lab.presentation.playground_views import describe_error

FAULTS = ("duplicate", "reorder", "crash before commit", "poison event")


def _button(description: str, css: str, style: str = "") -> w.Button:
    button = w.Button(description=description, button_style=style, layout=w.Layout(width="auto"))
    button.add_class(css)
    return button


class FaultPanel:
    """Arm, run, check, retry; display it with ``panel.widget``.

    Args:
        lab: the lab whose projector is broken on purpose.
        place_order: dispatches one command (so there is a batch to break); default: one
            unit of the best-stocked product.
        on_change: called after every action that changed the lab (the playground redraws).
        paused: tells whether the projector is paused (the playground's Pause); while it
            is, Run and Retry leave the projector alone and say so.
    """

    def __init__(
        self,
        lab,
        *,
        place_order: Callable[[], object] | None = None,
        on_change: Callable[[], None] | None = None,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        self.lab = lab
        self.paused = paused or (lambda: False)
        self.place = place_order or (lambda: lab.dispatch(default_order(lab)))
        self.on_change = on_change
        self.runs = 0
        """Runs and retries so far (each redraws the log)."""
        self.fault = w.ToggleButtons(options=FAULTS, value="duplicate")
        self.fault.add_class("cqrs-fault-choice")
        self.policy = w.ToggleButtons(
            options=["raise", "stop", "skip"],
            value=lab.projector.dead_letter_policy,
            description="poison policy",
        )
        self.policy.add_class("cqrs-fault-policy")
        self.order_button = _button("Place an order", "cqrs-fault-order")
        self.arm_button = _button("Arm for the next batch", "cqrs-fault-arm", "warning")
        self.run_button = _button("Run the projector", "cqrs-fault-run", "danger")
        self.heal_button = _button("Heal (fix the handler)", "cqrs-fault-heal", "success")
        self.retry_button = _button("Retry dead letters", "cqrs-fault-retry", "info")
        self.armed = w.HTML()
        self.armed.add_class("cqrs-fault-armed")
        self.log = w.HTML()
        self.log.add_class("cqrs-fault-run-log")
        self.verdict = w.HTML()
        self.verdict.add_class("cqrs-fault-verdict")
        self.dead_letters = w.HTML()
        self.dead_letters.add_class("cqrs-fault-dead-letters")
        self.order_button.on_click(lambda _: self.place_order())
        self.arm_button.on_click(lambda _: self.arm(self.fault.value))
        self.run_button.on_click(lambda _: self.run())
        self.heal_button.on_click(lambda _: self.heal())
        self.retry_button.on_click(lambda _: self.retry())
        self.policy.observe(lambda c: self._set_policy(c["new"]), names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.fault, self.arm_button]),
                w.HBox([self.order_button, self.run_button, self.heal_button, self.retry_button]),
                self.policy,
                self.armed,
                self.log,
                self.verdict,
                self.dead_letters,
            ]
        )
        self.widget.add_class("cqrs-fault-panel")
        self._show_armed()
        self.dead_letters.value = render_dead_letters(lab.projector.dead_letters.frame())

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def plan(self) -> FaultPlan:
        """The projector's fault plan (one is set on first use)."""
        if self.lab.projector.faults is None:
            self.lab.projector.faults = FaultPlan()
        return self.lab.projector.faults

    # -- actions ------------------------------------------------------------------------

    def place_order(self) -> None:
        """Dispatch one order, so the next batch has events to break."""
        try:
            self.place()
        except Exception as error:  # shown, never lost
            self.runs += 1
            self.log.value = render_log(
                [], f"order refused: {describe_error(error)}", True, self.runs
            )
        self._show_armed()
        self._changed()

    def arm(self, fault: str) -> None:
        """Arm ``fault`` (one of :data:`FAULTS`) for the next batch.

        Raises:
            ValueError: for a fault that is not one of :data:`FAULTS`.
        """
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, got {fault!r}")
        first = self.lab.projector.position + 1
        match fault:
            case "duplicate":
                self.plan.duplicate.add(first)
            case "reorder":
                self.plan.reverse_batches += 1
            case "crash before commit":
                self.plan.crash_before_commit += 1
            case "poison event":
                self.plan.poison[first] = None
        self._show_armed()

    def run(self) -> int:
        """Run the projector to the head through the armed faults, then check the result."""
        if self._refused_while_paused():
            return 0
        fired = len(self.plan.fired)
        try:
            done = self.lab.projector.catch_up()
            outcome, failed = f"the projector applied {done} event(s) and committed", False
        except Exception as error:  # a crash or a poison event: rolled back, shown
            done = 0
            outcome = f"rolled back, nothing committed: {describe_error(error)}"
            failed = True
        self.runs += 1
        self._after_run()  # the verdict first: the log's change says the run is drawn
        self.log.value = render_log(self.plan.fired[fired:], outcome, failed, self.runs)
        return done

    def heal(self) -> None:
        """The fix: poisoned events apply again (then Retry the dead letters)."""
        self.plan.heal()
        self._show_armed()

    def retry(self) -> int:
        """Try every open dead letter again; returns how many now apply."""
        if self._refused_while_paused():
            return 0
        fired = len(self.plan.fired)
        try:
            resolved = self.lab.projector.retry_dead_letters()
            outcome, failed = f"retried: {resolved} dead letter(s) now apply", False
        except Exception as error:
            resolved, outcome, failed = 0, f"retry failed: {describe_error(error)}", True
        self.runs += 1
        self._after_run()  # the verdict first: the log's change says the run is drawn
        self.log.value = render_log(self.plan.fired[fired:], outcome, failed, self.runs)
        return resolved

    def check(self) -> None:
        """Compare the live read models with a rebuild and show the verdict."""
        self.verdict.value = render_verdict(check_consistency(self.lab))

    # -- helpers ------------------------------------------------------------------------

    def _after_run(self) -> None:
        self.check()
        self.dead_letters.value = render_dead_letters(self.lab.projector.dead_letters.frame())
        self._show_armed()
        self._changed()

    def _refused_while_paused(self) -> bool:
        if not self.paused():
            return False
        self.runs += 1
        outcome = "the projector is paused: press Resume in the playground first"
        self.log.value = render_log([], outcome, True, self.runs)
        return True

    def _set_policy(self, policy: str) -> None:
        self.lab.projector.dead_letter_policy = policy

    def _show_armed(self) -> None:
        plan = self.lab.projector.faults
        armed = []
        if plan is not None:
            armed += [f"duplicate position {p}" for p in sorted(plan.duplicate)]
            armed += ["reverse the next batch"] * plan.reverse_batches
            armed += ["crash before the next commit"] * plan.crash_before_commit
            armed += [f"poison position {p}" for p in sorted(plan.poison)]
        lag = self.lab.projector.lag()
        self.armed.value = (
            f'<div class="cqrs-armed" data-armed="{len(armed)}" data-pending="{lag.events_behind}">'
            f"Armed: {', '.join(armed) or 'nothing'} · next batch: {lag.events_behind} "
            f"event(s) after position {lag.position}</div>"
        )

    def _changed(self) -> None:
        if self.on_change:
            self.on_change()
