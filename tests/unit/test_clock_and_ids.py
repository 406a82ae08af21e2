"""The simulated clock moves only when told; seeded ids repeat from run to run."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cqrs_lab import SeededIds, SimulatedClock, SystemClock
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.time_and_ids.clock import LAB_EPOCH
from cqrs_lab.time_and_ids.ids import uuid4_from_bits


@pytest.fixture
def restore_defaults():
    """Put back whatever clock and ids were installed before the test."""
    saved = defaults._clock, defaults._ids
    yield
    defaults.install(*saved)


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


def test_using_installs_a_clock_and_ids_for_a_block_and_restores_them_even_after_an_error(
    restore_defaults,
):
    outer, inner = SimulatedClock(), SimulatedClock(LAB_EPOCH + timedelta(days=1))
    defaults.install(outer, SeededIds(1))
    with pytest.raises(ValueError), defaults.using(inner, SeededIds(2)):
        assert defaults.now() == inner.now()
        with defaults.using(outer, SeededIds(3)):
            assert defaults.now() == outer.now()
        assert defaults.now() == inner.now()
        raise ValueError("the block failed")
    assert defaults.now() == outer.now()


def test_using_as_a_decorator_restores_the_clock_after_each_call_even_recursive_ones(
    restore_defaults,
):
    outer, inner = SimulatedClock(), SimulatedClock(LAB_EPOCH + timedelta(days=1))
    defaults.install(outer, SeededIds(1))

    @defaults.using(inner, SeededIds(2))
    def depth(n):
        assert defaults.now() == inner.now()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert defaults.now() == outer.now()


def test_uuid4_from_bits_makes_exactly_what_uuid_makes_with_version_4():
    rng = random.Random(7)
    for bits in [0, 2**128 - 1, *(rng.getrandbits(128) for _ in range(2000))]:
        made, expected = uuid4_from_bits(bits), uuid.UUID(int=bits, version=4)
        assert (made, made.int, made.version, made.is_safe) == (
            expected,
            expected.int,
            4,
            expected.is_safe,
        )
        assert hash(made) == hash(expected) and str(made) == str(expected)
