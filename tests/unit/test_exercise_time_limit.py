"""A learner's answer that never returns gets a verdict, not a hung notebook."""

from __future__ import annotations

import signal
import threading

from cqrs_lab.exercises import evaluate


def endless(events):
    while True:
        pass


def endless_and_stubborn(events):
    """Swallows every ordinary error it meets, as a learner's retry loop might."""
    while True:
        try:
            sum(range(1000))
        except Exception:
            continue


def test_an_answer_that_never_returns_gets_a_verdict_saying_so():
    verdict = evaluate("02-order-id", endless, time_limit=0.2)
    assert not verdict.passed
    assert verdict.behaviour == (
        "your answer did not return within 0.2 seconds (a loop that never ends?); "
        "the check gave up on it"
    )
    assert verdict.hints[0].startswith("A loop ends only when")


def test_a_second_hint_for_a_timeout_is_the_exercises_own_first_hint():
    verdict = evaluate("02-order-id", endless, time_limit=0.2, hint=2)
    assert verdict.hints[1] == evaluate("02-order-id", None, hint=2).hints[0]


def test_an_except_exception_in_the_answer_cannot_swallow_the_time_limit():
    verdict = evaluate("02-order-id", endless_and_stubborn, time_limit=0.2)
    assert "did not return within 0.2 seconds" in verdict.behaviour


def test_the_timer_and_the_previous_alarm_handler_are_restored():
    def mine(signum, frame):
        raise AssertionError("not expected to fire")

    before = signal.signal(signal.SIGALRM, mine)
    try:
        evaluate("02-order-id", endless, time_limit=0.1)
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        # The next check runs normally: no alarm left over from the first.
        assert evaluate("02-order-id", lambda events: events[0].order_id).behaviour.startswith(
            "when a command cancels an old order"
        )
    finally:
        signal.signal(signal.SIGALRM, before)


def test_outside_the_main_thread_the_check_still_gives_up_on_time():
    verdicts = []
    worker = threading.Thread(
        target=lambda: verdicts.append(evaluate("02-order-id", endless, time_limit=0.2))
    )
    worker.start()
    worker.join()
    assert "did not return within 0.2 seconds" in verdicts[0].behaviour


def test_outside_the_main_thread_a_wrong_answer_still_gets_its_hint():
    verdicts = []
    worker = threading.Thread(
        target=lambda: verdicts.append(evaluate("02-order-id", lambda events: events[0].order_id))
    )
    worker.start()
    worker.join()
    assert "you answered the old, cancelled order's id" in verdicts[0].behaviour
