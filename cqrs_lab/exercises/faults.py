"""Notebook 09's exercises: predictions about faults, checked by running them: a poison
``OrderCreated``, every fault at once, and a blue-green rebuild too slow to catch up.

Each answer is a prediction, not code: a function of no arguments that returns what the
learner expects (as ``10-request-model`` returns a class), so that the notebook runs before
anyone answers and its stub fails like every other stub. The check runs the scenario itself,
on the notebook's shop rebuilt here (seed 9, a simulated clock, three orders of three
events), compares what really happened with the prediction, and for a wrong one names the
mechanism the prediction missed, quoting the lab's own log, errors and lag samples.
"""

from __future__ import annotations

import operator
from collections.abc import Collection
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from cqrs_lab import BlueGreenRebuild, FaultPlan, InjectedCrash, check_consistency
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, KEYBOARDS, place
from cqrs_lab.orders import ADA, OrderProjectionV2, build_lab

#: The notebook's shop: enough stock for every order the scenarios place.
_STOCK = {"CRUNCHY-ARMCHAIR": 50, "SILENT-KEYBOARD": 100, "MIDNIGHT-LAMP": 12}


def _order() -> Any:
    """The notebook's ``armchair_order()``: three events (OrderCreated, two OrderItemAdded)."""
    return place(ADA, ARMCHAIR, KEYBOARDS)


def _shop(**options: Any) -> Any:
    """The notebook's ``shop()``: a fresh lab (seed 9) holding three orders, positions 1-9,
    none projected yet."""
    lab = build_lab(seed=9, stock=_STOCK, **options)
    for _ in range(3):
        lab.dispatch(_order())
    return lab


def _listed(positions: Collection[int]) -> str:
    return ", ".join(str(position) for position in positions)


def _dead_letters_at(positions: list[int]) -> str:
    return f"dead letters at [{_listed(positions)}]" if positions else "no dead letters"


def _pair(prediction: Any, name: str, first: str) -> tuple[Any, bool]:
    """``prediction`` as (first, a bool), or :class:`NotYet` naming the shape it must have."""
    if not (isinstance(prediction, tuple | list) and len(prediction) == 2):
        raise NotYet(
            f"{name}() returned {prediction!r}, not two values ({first}, then True or False)",
            "The prediction has two parts: return both, separated by a comma.",
            f"return <{first}>, <True or False>",
        )
    if not isinstance(prediction[1], bool | np.bool_):  # a value read from a frame is NumPy's
        raise NotYet(
            f"{name}() returned {prediction[1]!r} as its second value, not True or False",
            "The second part is a yes or no: does check_consistency(lab) pass?",
            "End with True (it passes) or False (it reports differences).",
        )
    return prediction[0], bool(prediction[1])


def _whole(value: Any) -> bool:
    """A whole number: a Python or NumPy integer (read off a frame, say), never a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool | np.bool_)


@exercise(
    "09-poison-created",
    "Predict a poison OrderCreated under 'skip': which positions are dead letters, and "
    "does the consistency check pass?",
    hints=(
        "A skipped event is left out, and so is whatever needed it: ask what each of the "
        "first order's events changes in order_summary. check_consistency compares the live "
        "tables with a rebuild from scratch.",
        "Return a list of positions and True or False, e.g. return [4, 5], True. Positions "
        "1-3 are the first order: its OrderCreated, then its two OrderItemAdded.",
    ),
)
def _poison_created(answer: Any) -> None:
    predicted, passes = _pair(answer(), "predict_poison_created", "a list of positions")
    # A sized collection, not any iterable: an endless generator would never be listed.
    if isinstance(predicted, str | bytes) or not isinstance(predicted, Collection):
        raise NotYet(
            f"the dead letters you predicted, {predicted!r}, are not a list of positions",
            "A dead letter is one event: name each by its position in the store.",
            "A list of whole numbers, e.g. [4, 5].",
        )
    predicted = list(predicted)
    if not all(_whole(position) for position in predicted):
        raise NotYet(
            f"the dead letters you predicted, {predicted!r}, are not all positions (whole numbers)",
            "A dead letter is one event: name each by its position in the store.",
            "A list of whole numbers, e.g. [4, 5].",
        )
    predicted = [operator.index(position) for position in predicted]
    poisoned = 1
    lab = _shop(dead_letter_policy="skip", faults=FaultPlan(poison={poisoned: "order_summary"}))
    head = lab.event_store.head
    if outside := sorted({p for p in predicted if not 1 <= p <= head}):
        raise NotYet(
            f"you predicted dead letters at {_listed(outside)}: the shop holds positions "
            f"1-{head} only",
            "A dead letter is an event the store holds: its position is between 1 and the "
            "store's head.",
            f"Positions 1-3 are the first order, 4-6 the second, 7-{head} the third.",
        )
    lab.catch_up()
    letters = lab.projector.dead_letters.frame().sort_values("position")
    dead = letters["position"].tolist()
    report = check_consistency(lab)
    events = lab.events().set_index("position")
    guess = sorted(set(predicted))
    if guess != dead:
        missing = [position for position in dead if position not in guess]
        extra = [position for position in guess if position not in dead]
        told = f"you predicted {_dead_letters_at(guess)}; they are at [{_listed(dead)}]"
        if poisoned in missing:
            raise NotYet(
                f"{told}: the poisoned position {poisoned} itself is one",
                '"skip" does not drop a failing event silently: it records it in the '
                "dead-letter table (with its error and attempts) and only then moves on, so "
                "that it can be retried after the fix.",
                "lab.projector.dead_letters.frame() has one row per event a projection "
                "could not apply, the poisoned one first.",
            )
        if missing:
            kinds = " and ".join(
                f"{position} ({events.loc[position, 'type']})" for position in missing
            )
            why = letters.set_index("position").loc[missing[0], "error"]
            raise NotYet(
                f"{told}: positions {kinds}, the same order's items, failed too",
                "Skipping an event skips what it would have written. An OrderItemAdded "
                "changes its order's row, and with the OrderCreated skipped there is no row "
                'to change: the items fail too, and under "skip" each becomes a dead letter '
                "of its own.",
                f"The dead-letter table says why, for position {missing[0]}: {why}",
            )
        others = [position for position in extra if position > max(dead)]
        if others:
            raise NotYet(
                f"{told}: positions {_listed(others)}, the other orders' events, were applied",
                '"skip" is not "stop": the projection records the failing event and goes '
                "on. Only the events that need the poisoned order's row fail; the other "
                "orders have rows of their own.",
                "A failing event takes down only the events that depend on it: here those "
                "with the same order_id (lab.events() shows each position's stream).",
            )
        raise NotYet(
            f"{told}",
            "Only the poisoned event and the events that need what it would have written "
            "fail: follow the first order's events, one position at a time.",
            "Positions 1-3 are the first order (OrderCreated, OrderItemAdded, OrderItemAdded).",
        )
    if passes != report.ok:
        lag = lab.lag()
        raise NotYet(
            f"you predicted the consistency check {'passes' if passes else 'fails'}; it "
            f"says: {report}",
            "check_consistency rebuilds every read model from scratch, with no faults, and "
            "compares it row by row with the live one: the rebuild has the first order, the "
            "live order_summary has not.",
            f'"skip" keeps the projection moving, not right: lab.lag() says '
            f"{lag.events_behind} events behind but {lag.dead_letters} dead letters, and "
            "report.differences lists the missing row.",
        )


def _crash_run() -> tuple[int, list[str], Any]:
    """Notebook 09's "every fault at once": the crashes counted, the plan's log, the lab."""
    plan = FaultPlan(
        duplicate={2}, reverse_batches=1, crash_before_commit=1, crash_between_batches=1
    )
    lab = _shop(batch_size=2, faults=plan)
    crashes = 0
    for _ in range(20):  # each crash fault fires once: a handful of restarts is plenty
        try:
            lab.catch_up()
            break
        except InjectedCrash:
            crashes += 1
    else:
        raise RuntimeError("the faulty projector crashed on every one of 20 restarts")
    return crashes, list(plan.fired), lab


@exercise(
    "09-every-fault",
    "Predict every fault at once: how many crashes, and is the read model right at the end?",
    hints=(
        "Sort the four faults: which ones does the projector handle by position inside "
        "catch_up, and which ones stop the process? Then ask what a crash leaves in the rows "
        "and in the checkpoint.",
        "Return a number of crashes and True or False, e.g. return 3, False. Sections "
        "Fault 1 to Fault 4 show each fault alone.",
    ),
)
def _every_fault(answer: Any) -> None:
    predicted, passes = _pair(answer(), "predict_every_fault", "a number of crashes")
    if not _whole(predicted) or predicted < 0:
        raise NotYet(
            f"the crashes you predicted, {predicted!r}, are not a count",
            "Count the times catch_up stops with an InjectedCrash.",
            "A whole number, 0 or more.",
        )
    predicted = operator.index(predicted)
    crashes, fired, lab = _crash_run()
    crashed = [line for line in fired if line.startswith("crashed")]
    handled = [line for line in fired if not line.startswith("crashed")]
    told = (
        f"you predicted {predicted} crash{'es' if predicted != 1 else ''}; catch_up raised "
        f"InjectedCrash {crashes} times ({'; '.join(crashed)})"
    )
    if crashes < predicted <= len(fired):
        raise NotYet(
            f"{told}: the other faults ({'; '.join(handled)}) are not crashes",
            "The projector meets a duplicate or an out-of-order batch by position, inside "
            "catch_up: it drops the repeat, refuses the gap and re-reads from its checkpoint, "
            "and carries on. Only the two crash faults stop the process.",
            "lab.projector.incidents lists the gap as handled; plan.fired logs all four "
            "faults: count only the lines that say 'crashed'.",
        )
    if predicted > crashes:
        raise NotYet(
            f"{told}: a restarted catch_up does not crash again",
            "Each fault of a FaultPlan fires once, then is gone, as a real crash does not "
            "come back at the same place: the restart goes through.",
            "crash_before_commit=1 and crash_between_batches=1: one InjectedCrash each.",
        )
    if predicted < crashes:
        raise NotYet(
            f"{told}: each crash fault stopped the process once",
            "A crash before a commit and a crash after one are two separate stops: the "
            "first restart commits that batch again, then the process dies after the commit.",
            "crash_before_commit=1 and crash_between_batches=1: one InjectedCrash each, and "
            "the loop restarts after both.",
        )
    report = check_consistency(lab)
    if passes != report.ok:
        raise NotYet(
            f"you predicted the read model is {'right' if passes else 'wrong'} at the end; "
            f"check_consistency says: {report}",
            "A crash before a commit rolls the batch's rows back together with its "
            "checkpoint; after a crash between batches the checkpoint holds exactly what was "
            "committed. Either way the restart reads on from the checkpoint: nothing is lost, "
            "nothing applied twice, and a duplicate or a gap is caught by position.",
            "Each projection's checkpoint is written in the same DuckDB transaction as its "
            "rows (sections Fault 3 and Fault 4).",
        )


def _slow_race() -> tuple[pd.DataFrame, int, int]:
    """Notebook 09's "slow green": the lag samples, the cut-over position and the head."""
    lab = _shop()
    lab.catch_up()
    race = BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)], batch_size=1)
    for round_ in range(9):
        if round_ % 3 == 0:
            lab.dispatch(_order())
        lab.catch_up()
        race.advance()
    samples = race.frame()
    return samples, race.cut_over(), lab.event_store.head


@exercise(
    "09-slow-green",
    "Predict a slow blue-green rebuild: the smallest gap green reaches before the cut-over",
    hints=(
        "Compare two rates: how many events green folds per round (batch_size) and how many "
        "the writes add per round (one order of three events every third round).",
        "Return a whole number of events, e.g. return 4 (0 if green catches up). Green "
        "starts as far behind as the events the shop already holds.",
    ),
)
def _slow_green(answer: Any) -> None:
    predicted = answer()
    if not _whole(predicted) or predicted < 0:
        raise NotYet(
            f"predict_slow_green() returned {predicted!r}, not a number of events",
            "The gap is how many events green still has to fold: a whole number, 0 when it "
            "has caught up.",
            "return <a whole number>",
        )
    predicted = operator.index(predicted)
    samples, cut, head = _slow_race()
    behind = samples["green_behind"].tolist()
    fewest, start, most = min(behind), behind[0], max(behind)
    told = (
        f"green started {start} events behind, then was {', '.join(map(str, behind[1:]))} "
        f"behind, round by round: never fewer than {fewest}"
    )
    if predicted == fewest:
        if cut != head:
            raise RuntimeError(f"the cut-over stopped at {cut}, the head is at {head}")
        return
    if predicted == 0:
        raise NotYet(
            f"you predicted green catches up before the cut-over; {told}",
            "batch_size=1: green folds one event a round, and an order brings three events "
            "every third round, one a round on average. Green folds exactly as fast as the "
            "writes arrive, so it never gains on its head start.",
            f"It started {start} events behind (the shop's orders); only cut_over() caught it "
            f"up, to position {cut}, inside its transaction. To overtake, green must fold "
            "faster than the writes arrive.",
        )
    if predicted < fewest:
        raise NotYet(
            f"you predicted green gets to {predicted} behind; {told}",
            "Green gains one event in each round without an order, but each order puts three "
            "back: after every three rounds it is back where it started.",
            "Follow green_behind: +3 when an order arrives, -1 for each green step.",
        )
    raise NotYet(
        f"you predicted green is never fewer than {predicted} behind; {told}",
        f"{most} is the gap just after an order arrives; green folds one event a round and is "
        f"back at {fewest} before the next order. Falling further behind would take writes "
        "faster than one event a round.",
        "Follow green_behind: +3 when an order arrives, -1 for each green step.",
    )
