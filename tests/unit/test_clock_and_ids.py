"""The simulated clock moves only when told; seeded ids repeat from run to run."""

from datetime import UTC, datetime, timedelta

import pytest

from cqrs_lab import SeededIds, SimulatedClock, SystemClock


def test_simulated_clock_stands_still_until_advanced():
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(1.5)
    clock.advance(timedelta(minutes=1))
    assert clock.now() == datetime(2026, 1, 1, 0, 1, 1, 500000, tzinfo=UTC)


def test_simulated_clock_refuses_to_go_backwards_or_start_naive():
    with pytest.raises(ValueError, match="backwards"):
        SimulatedClock().advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2026, 1, 1))


def test_system_clock_is_utc():
    assert SystemClock().now().tzinfo is UTC


def test_seeded_ids_repeat_and_differ_by_seed():
    first, again, other = SeededIds(3), SeededIds(3), SeededIds(4)
    run = [first.new_id() for _ in range(5)]
    assert run == [again.new_id() for _ in range(5)]
    assert run != [other.new_id() for _ in range(5)]
    assert len(set(run)) == 5 and all(i.version == 4 for i in run)
