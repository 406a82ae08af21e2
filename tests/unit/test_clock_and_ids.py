"""The simulated clock moves only when told; seeded ids repeat from run to run."""

import asyncio
import random
import threading
import types
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from cqrs_lab import SeededIds, SimulatedClock, SystemClock
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CreateOrder,
    Order,
    OrderItem,
    build_lab,
    created_order_id,
)
from cqrs_lab.time_and_ids import defaults
from cqrs_lab.time_and_ids.clock import LAB_EPOCH
from tests.builders import PLENTY, armchair_and_keyboards

ITEMS = [OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)]


@pytest.fixture
def restore_defaults():
    """Put back whatever unbound clock and ids were installed before the test."""
    saved = defaults.unbound()
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


def test_seeded_ids_are_the_seeded_generators_bits_as_version_4_uuids():
    rng, ids = random.Random(7), SeededIds(7)
    for _ in range(2000):
        made = ids.new_id()
        assert made == uuid.UUID(int=rng.getrandbits(128), version=4)
        assert made.version == 4 and made.variant == uuid.RFC_4122


# -- each lab owns its clock and ids ---------------------------------------------------


def two_labs():
    """Lab a (seed 1) an hour ahead, then lab b (seed 2) built after it."""
    a = build_lab(seed=1, stock=PLENTY)
    a.clock.advance(3600)
    b = build_lab(seed=2, stock=PLENTY)
    return a, b


def assert_made_by(lab, seed, command, events, *, draws_before=0):
    """``command`` and ``events`` carry ``lab``'s time, and ids from ``SeededIds(seed)``:
    ``draws_before`` ids earlier, then the command's id, then its order's id."""
    ids = SeededIds(seed)
    for _ in range(draws_before):
        ids.new_id()
    assert command.command_id == ids.new_id() and command.timestamp == lab.clock.now()
    assert created_order_id(events) == ids.new_id()
    assert {event.occurred_at for event in events} == {lab.clock.now()}
    recorded = lab.event_store.read_all()[-len(events) :]
    assert {r.recorded_at for r in recorded} == {lab.clock.now()}


def test_a_command_built_for_lab_a_after_lab_b_was_built_carries_a_s_time_and_ids():
    a, b = two_labs()
    command = armchair_and_keyboards()
    assert_made_by(a, 1, command, a.dispatch(command))


def test_and_the_reverse_lab_b_s_command_carries_b_s_time_and_ids():
    a, b = two_labs()
    command = armchair_and_keyboards()
    assert_made_by(b, 2, command, b.dispatch(command))
    assert a.event_store.head == 0


def test_interleaved_construction_and_dispatch_never_leak_between_labs():
    a, b = two_labs()
    for_a, for_b, again_a = (armchair_and_keyboards() for _ in range(3))
    assert_made_by(b, 2, for_b, b.dispatch(for_b))
    assert_made_by(a, 1, for_a, a.dispatch(for_a))
    b.clock.advance(10)
    a.clock.advance(10)
    assert_made_by(a, 1, again_a, a.dispatch(again_a), draws_before=2)
    assert b.event_store.head == 3 and a.event_store.head == 6


def test_two_labs_dispatching_at_once_in_asyncio_tasks_keep_their_own_clocks():
    a, b = two_labs()

    @types.coroutine
    def let_others_run():
        yield

    async def handle_slowly(lab, command):
        order = Order.create(
            customer_id=command.customer_id,
            items=command.items,
            shipping_address=command.shipping_address,
        )
        await let_others_run()  # the other lab's handler runs here
        order.ship()
        return await lab.orders.save(order)

    for lab in (a, b):
        lab.command_bus.register(CreateOrder, lambda c, lab=lab: handle_slowly(lab, c))

    async def both():
        return await asyncio.gather(
            a.command_bus.dispatch(armchair_and_keyboards()),
            b.command_bus.dispatch(armchair_and_keyboards()),
        )

    a_events, b_events = asyncio.run(both())
    assert {e.occurred_at for e in a_events} == {a.clock.now()}
    assert {e.occurred_at for e in b_events} == {b.clock.now()} != {a.clock.now()}


def test_two_labs_dispatching_from_two_threads_keep_their_own_clocks_and_ids():
    a, b = two_labs()
    barrier = threading.Barrier(2)

    def place(lab):
        barrier.wait()
        return [lab.dispatch(armchair_and_keyboards()) for _ in range(50)]

    with ThreadPoolExecutor(2) as pool:
        a_results, b_results = pool.map(place, (a, b))
    for lab, seed, results in ((a, 1, a_results), (b, 2, b_results)):
        ids = SeededIds(seed)
        expected = [(ids.new_id(), ids.new_id())[1] for _ in range(50)]  # command, then order
        assert [created_order_id(events) for events in results] == expected
        assert {e.occurred_at for events in results for e in events} == {lab.clock.now()}


def test_building_a_lab_changes_nothing_outside_it():
    before = defaults.unbound()
    outside = Order.create(customer_id=ADA, items=ITEMS, shipping_address=DEMO_ADDRESS)
    build_lab(seed=99).clock.advance(60)
    assert defaults.unbound() == before
    after = Order.create(customer_id=ADA, items=ITEMS, shipping_address=DEMO_ADDRESS)
    assert {e.occurred_at for e in outside.pending_events + after.pending_events} == {
        before[0].now()
    }
