"""``check``: run an exercise's hidden tests against a learner's answer and say what is wrong.

An exercise is a function that receives the learner's answer and raises :class:`NotYet` at the
first behaviour that is wrong, naming the behaviour (not the line) with two hints: the first
points at the idea, the second at the code. The reference solutions are not here: they live in
the repository's ``solutions/`` folder, which is not installed with the package, so reading
this module shows what is tested, never the answer.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Seconds a check may run before it gives up on the answer (an endless loop, say). Every
#: hidden test builds a small lab and runs in well under a second; ten leaves room for a
#: busy machine.
TIME_LIMIT = 10.0


class NotYet(Exception):
    """An exercise's hidden test found a wrong behaviour.

    Attributes:
        behaviour: what the answer did wrong, in the domain's words.
        hints: a first hint (the idea) and a second (closer to the code).
    """

    def __init__(self, behaviour: str, hint: str, second_hint: str) -> None:
        super().__init__(behaviour)
        self.behaviour = behaviour
        self.hints = (hint, second_hint)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``"02-limited-order"``), a title, its hidden tests and the hints
    for an answer that is still the stub."""

    id: str
    title: str
    run: Callable[[Any], None]
    hints: tuple[str, str]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: passed, or the wrong behaviour and the hints asked for."""

    exercise: str
    passed: bool
    behaviour: str = ""
    hints: tuple[str, ...] = ()
    more_hints: bool = False

    def __str__(self) -> str:
        if self.passed:
            return f"{self.exercise}: passed"
        lines = [f"{self.exercise}: not yet: {self.behaviour}"]
        lines += [f"  hint {n}: {text}" for n, text in enumerate(self.hints, 1)]
        if self.more_hints:
            lines.append("  (a second hint: check(..., hint=2))")
        return "\n".join(lines)


_EXERCISES: dict[str, Exercise] = {}


def exercise(id: str, title: str, *, hints: tuple[str, str]) -> Callable:
    """Register the decorated function as the hidden tests of exercise ``id``."""

    def register(run: Callable[[Any], None]) -> Callable[[Any], None]:
        if id in _EXERCISES:
            raise ValueError(f"exercise {id!r} is registered twice")
        _EXERCISES[id] = Exercise(id, title, run, hints)
        return run

    return register


def exercises() -> dict[str, str]:
    """Every exercise id and its title, in registration order."""
    return {e.id: e.title for e in _EXERCISES.values()}


def _find(exercise_id: str) -> Exercise:
    try:
        return _EXERCISES[exercise_id]
    except KeyError:
        known = ", ".join(_EXERCISES)
        raise LookupError(f"no exercise {exercise_id!r}; known: {known}") from None


def evaluate(
    exercise_id: str, answer: Any, *, hint: int = 1, time_limit: float | None = None
) -> Verdict:
    """Run exercise ``exercise_id``'s hidden tests on ``answer`` and return the verdict.

    ``hint`` is how many hints to include (1 or 2). The checks build labs of their own, with
    fixed seeds, so a verdict reads the same on every run. An answer that has not returned
    after ``time_limit`` seconds (default :data:`TIME_LIMIT`) gets a verdict saying so, so
    an endless loop in a learner's code never hangs the notebook (see :func:`_within`).
    """
    found = _find(exercise_id)
    shown = max(1, min(hint, 2))
    limit = TIME_LIMIT if time_limit is None else time_limit
    try:
        _within(limit, found.run, answer)
    except _TimedOut:
        behaviour = (
            f"your answer did not return within {limit:g} seconds "
            "(a loop that never ends?); the check gave up on it"
        )
        hints = (
            "A loop ends only when something inside it changes what it tests: make each "
            "pass move towards the end, or give the loop a bound.",
            found.hints[0],
        )
    except NotYet as wrong:
        behaviour, hints = wrong.behaviour, wrong.hints
    except Exception as error:  # the learner's code failed: say how, never raise from a check
        if _is_stub(error):
            behaviour = "the answer is still the stub (it raises NotImplementedError)"
        else:
            behaviour = f"your answer raised {type(error).__name__}: {error}"
        hints = found.hints
    else:
        return Verdict(exercise_id, passed=True)
    return Verdict(exercise_id, False, behaviour, hints[:shown], more_hints=shown < len(hints))


class _TimedOut(BaseException):
    """Raised into a check that ran past its time limit. A ``BaseException``, so that an
    ``except Exception`` in the learner's code (or a check's) cannot swallow it."""


def _within(seconds: float, run: Callable[[Any], None], answer: Any) -> None:
    """``run(answer)``, or :class:`_TimedOut` once it has taken ``seconds``.

    In the main thread on Unix (a notebook kernel runs cells there) a ``SIGALRM`` timer
    interrupts the answer where it is, so the check stops with it. Elsewhere (Windows, or a
    check called from another thread) the check runs in a daemon thread that is waited for
    at most ``seconds``: the verdict comes on time, but Python cannot stop a thread, so an
    endless answer keeps a core busy until the kernel restarts. Code that does not return
    to the interpreter (one long C call, a DuckDB query) is interrupted when it does.
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():

        def give_up(signum: int, frame: Any) -> None:
            raise _TimedOut

        previous = signal.signal(signal.SIGALRM, give_up)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            run(answer)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    outcome: list[BaseException] = []

    def target() -> None:
        try:
            run(answer)
        except BaseException as raised:  # handed to the caller's thread below
            outcome.append(raised)

    worker = threading.Thread(target=target, name="exercise-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimedOut
    if outcome:
        raise outcome[0]


def _is_stub(error: BaseException | None) -> bool:
    """Whether ``error`` is, or was caused by, a stub's ``NotImplementedError`` (the projector,
    for one, reports a failing projection as an error that keeps the original inside)."""
    waiting, seen = [error], set()
    while waiting:
        current = waiting.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, NotImplementedError):
            return True
        seen.add(id(current))
        inner = getattr(current, "error", None)  # a projector's HandlerError keeps it here
        waiting += [current.__cause__, current.__context__]
        if isinstance(inner, BaseException):
            waiting.append(inner)
    return False


def check(exercise_id: str, answer: Any, *, hint: int = 1, time_limit: float | None = None) -> None:
    """Print the verdict of exercise ``exercise_id`` on ``answer`` (``hint=2``: both hints;
    ``time_limit``: seconds before giving up on an answer that does not return)."""
    print(evaluate(exercise_id, answer, hint=hint, time_limit=time_limit))


def hints(exercise_id: str) -> None:
    """Print an exercise's title and both of its general hints (before any attempt)."""
    found = _find(exercise_id)
    print(f"{found.id}: {found.title}")
    for n, text in enumerate(found.hints, 1):
        print(f"  hint {n}: {text}")
