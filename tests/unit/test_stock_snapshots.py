"""A busy stock is never replayed whole: kept between orders, restored from a snapshot otherwise.

Every order appends to its products' stock streams, so a best-seller's stream grows without
end. These tests count the stock events a load reads (a store that counts, subclassing the
real one) after many reservations: bounded by the snapshot interval, not the stream length.
"""

import asyncio
from uuid import UUID

import pytest

from cqrs_lab.orders import build_lab
from cqrs_lab.orders.services import InventoryService
from cqrs_lab.orders.stock import Stock, stock_id_of
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.kept_aggregates import KeptAggregates
from cqrs_lab.write_side.snapshot_file import SQLiteSnapshots, decode, encode
from cqrs_lab.write_side.snapshots import Snapshots
from tests.unit.test_fulfilment_saga import LAMP, place

RESERVATIONS = 1_000


class CountingStore(InMemoryEventStore):
    """An event store that counts the stream events it hands out."""

    read = 0

    def read_stream(self, stream_id, *, after_version=0):
        events = super().read_stream(stream_id, after_version=after_version)
        self.read += len(events)
        return events


def reserve_many(inventory, reservations=RESERVATIONS, first=1):
    async def run():
        for n in range(first, first + reservations):
            await inventory.reserve(UUID(int=n), LAMP, 1)

    asyncio.run(run())


def test_a_restarted_inventory_loads_a_busy_stock_from_its_snapshot():
    store, snapshots = CountingStore(), Snapshots()
    reserve_many(InventoryService({LAMP: 10**6}, store, snapshots=snapshots))
    assert len(store.read_stream(stock_id_of(LAMP))) == RESERVATIONS + 1

    restarted = InventoryService({LAMP: 10**6}, store, snapshots=snapshots)  # nothing kept
    store.read = 0
    assert restarted.stock_of(LAMP) == 10**6 - RESERVATIONS
    assert store.read <= restarted.stocks.every  # the snapshot's last event and what followed
    assert restarted.stocks.replayed < restarted.stocks.every


def test_without_snapshots_the_same_load_replays_the_whole_stream():
    """The peer of the test above: what a snapshot saves."""
    store = CountingStore()
    reserve_many(InventoryService({LAMP: 10**6}, store, snapshots=Snapshots()))
    never = KeptAggregates(store, Stock, every=10**9)
    store.read = 0
    never.get(stock_id_of(LAMP))
    assert store.read == never.replayed == RESERVATIONS + 1


def test_a_stock_whose_kept_copy_was_dropped_by_a_lost_race_is_not_replayed_whole():
    store = CountingStore()
    inventory = InventoryService({LAMP: 10**6}, store)  # in-memory snapshots by default
    reserve_many(inventory)
    inventory.stocks.get(stock_id_of(LAMP))  # taken and never given back: as a lost race
    store.read = 0
    assert inventory.stock_of(LAMP) == 10**6 - RESERVATIONS
    assert store.read <= inventory.stocks.every


def test_a_saga_lab_reserves_without_replaying_the_stock_stream():
    store = CountingStore()
    lab = build_lab(seed=40, saga=True, event_store=store, stock={LAMP: 10**6})
    for _ in range(300):
        place(lab, (LAMP, 1))
    lab.catch_up()
    stock_events = len(store.read_stream(stock_id_of(LAMP)))
    assert stock_events == 301
    store.read = 0
    place(lab, (LAMP, 1))
    lab.catch_up()  # one ReserveStock, one ConfirmOrder
    assert store.read < 20  # not the 301 events of the lamp's stream
    assert lab.inventory.stock_of(LAMP) == 10**6 - 301


@pytest.mark.parametrize("saga", [False, True])
def test_a_reopened_kept_lab_restores_its_stock_from_the_snapshot_file(tmp_path, saga):
    lab = build_lab(path=tmp_path, saga=saga, stock={LAMP: 10**6})
    reserve_many(lab.inventory)
    lab.close()
    assert (tmp_path / "snapshots.sqlite").is_file()

    again = build_lab(path=tmp_path, saga=saga, stock={LAMP: 10**6})
    stocks = again.inventory.stocks
    stocks.get(stock_id_of(LAMP))  # drop the copy the build kept: the next load restores
    assert again.inventory.stock_of(LAMP) == 10**6 - RESERVATIONS
    assert stocks.replayed < stocks.every  # not the 1,001 events of the stream
    again.close()


def test_a_snapshot_of_another_history_is_discarded_not_restored():
    """Two logs whose lamp stock reached the same version with different orders: a
    snapshot of one must never stand for the other (a reset lab, a replaced file)."""
    snapshots = Snapshots()
    first, second = CountingStore(), CountingStore()
    reserve_many(InventoryService({LAMP: 10**6}, first, snapshots=snapshots), 150)
    reserve_many(InventoryService({LAMP: 10**6}, second, snapshots=Snapshots()), 150, 10_000)
    restored = KeptAggregates(second, Stock, snapshots=snapshots).get(stock_id_of(LAMP))
    assert set(restored.reservations) == {UUID(int=10_000 + n) for n in range(150)}
    assert restored.version == 151


def test_a_snapshot_file_round_trips_a_stocks_state_and_refuses_what_json_cannot_hold(tmp_path):
    state = {"id": stock_id_of(LAMP), "reservations": {UUID(int=1): 2}, "product_id": LAMP}
    assert decode(encode(state)) == state
    with pytest.raises(TypeError, match="cannot hold a set"):
        encode({"ids": {1, 2}})
    snapshots = SQLiteSnapshots(tmp_path / "snapshots.sqlite")
    inventory = InventoryService({LAMP: 10**6}, InMemoryEventStore(), snapshots=snapshots)
    reserve_many(inventory, 1_020)
    reopened = SQLiteSnapshots(tmp_path / "snapshots.sqlite")
    snapshot = reopened.latest(stock_id_of(LAMP))
    assert len(reopened) == 1 and snapshot.version == 1_000  # a file: every 1,000 events
    assert snapshot.state["reserved"] == 999 and snapshot.last_event.startswith("1000:")
    assert len(snapshot.state["reservations"]) == 999


class CountingSnapshots(Snapshots):
    """Snapshots that count how many were taken and how many state entries they copied."""

    taken = 0
    copied_reservations = 0

    def keep(self, snapshot):
        self.taken += 1
        self.copied_reservations += len(snapshot.state.get("reservations", {}))
        super().keep(snapshot)


def test_snapshots_of_a_growing_stock_copy_in_proportion_to_its_stream_not_its_square():
    """A stock's state grows by one reservation per order, so a snapshot every 100 events
    would copy 5,000 reservations 50 times over (about 125,000 entries): its cost would grow
    with the square of the orders. Spaced by a quarter of the version once that exceeds
    the interval, the copying stays a small multiple of the stream, and a load still
    replays only a fraction of it."""
    store, snapshots = CountingStore(), CountingSnapshots()
    reserve_many(InventoryService({LAMP: 10**6}, store, snapshots=snapshots), 5_000)
    assert snapshots.taken < 20
    assert snapshots.copied_reservations < 5 * 5_000
    restarted = InventoryService({LAMP: 10**6}, store, snapshots=snapshots)
    restarted.stock_of(LAMP)
    assert restarted.stocks.replayed <= 5_000 // 5
