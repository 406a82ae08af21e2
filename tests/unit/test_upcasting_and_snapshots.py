"""Events that change shape (upcasters on read, never rewritten) and snapshots with a version."""

from datetime import UTC, datetime
from uuid import UUID

import pytest

from cqrs_lab.orders import ADA, OrderCreated, OrderItemAdded, Stock, stock_id_of
from cqrs_lab.orders.upcasting import from_invoices, order_upcasters
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.snapshots import SnapshottingRepository
from cqrs_lab.write_side.upcasting import (
    FactNeverRecordedError,
    MissingUpcasterError,
    Upcasters,
    VersionedEventLog,
)

ORDER = UUID("00000000-0000-4000-8000-0000000000b1")
AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
TYPES = [OrderCreated, OrderItemAdded]


def legacy_log(upcasters, *items):
    log = VersionedEventLog.open(TYPES, upcasters)
    created = {"order_id": str(ORDER), "customer_id": str(ADA), "version": 1}
    log.append(
        ORDER,
        "OrderCreated",
        1,
        {**created, "ship_to": "12 Analytical Row, London, N1 7AA, GB"},
        AT,
    )
    for n, (version, fields) in enumerate(items, 2):
        log.append(
            ORDER, "OrderItemAdded", version, {"order_id": str(ORDER), "version": n, **fields}, AT
        )
    return log


def test_a_split_a_rename_and_a_default_read_old_shapes_as_todays():
    log = legacy_log(order_upcasters(), (2, {"sku": "MIDNIGHT-LAMP", "price": 35.25}))
    created, item = (r.event for r in log.read_all())
    assert created.shipping_address.city == "London" and created.shipping_address.country == "GB"
    assert (item.product_id, item.quantity, item.unit_price) == ("MIDNIGHT-LAMP", 1, 35.25)


def test_stored_events_are_never_rewritten_by_reading():
    log = legacy_log(order_upcasters(), (2, {"sku": "MIDNIGHT-LAMP", "price": 35.25}))
    before = [row.data for row in log.rows]
    log.read_all()
    assert [row.data for row in log.rows] == before and '"sku"' in before[1]


def test_the_guides_item_cannot_be_given_a_price_it_never_recorded():
    log = legacy_log(order_upcasters(), (1, {"product_id": "CRUNCHY-ARMCHAIR"}))
    with pytest.raises(FactNeverRecordedError, match="never recorded quantity, unit_price"):
        log.read_all()


def test_a_repair_takes_the_facts_from_a_named_source_and_still_guesses_nothing():
    invoices = {(str(ORDER), "CRUNCHY-ARMCHAIR"): (2, 249.0)}
    repaired = order_upcasters(repair_v1=from_invoices(invoices))
    log = legacy_log(repaired, (1, {"product_id": "CRUNCHY-ARMCHAIR"}))
    item = log.read_all()[1].event
    assert (item.quantity, item.unit_price) == (2, 249.0)
    unknown = legacy_log(repaired, (1, {"product_id": "WOBBLY-TABLE"}))
    with pytest.raises(FactNeverRecordedError):
        unknown.read_all()


def test_a_version_without_an_upcaster_is_refused_when_the_log_opens():
    rows = legacy_log(order_upcasters(), (2, {"sku": "X", "price": 1.0})).rows
    partial = Upcasters({"OrderCreated": 2, "OrderItemAdded": 3})
    with pytest.raises(MissingUpcasterError) as missing:
        VersionedEventLog.open(TYPES, partial, rows)
    assert missing.value.missing == {("OrderCreated", 1): 1, ("OrderItemAdded", 2): 1}
    assert "1 OrderItemAdded v2 (today: v3)" in str(missing.value)


def stocked(store, reservations):
    stock = Stock.open("MIDNIGHT-LAMP", 10**6)
    store.append(stock.id, stock.pending_events, expected_version=0)
    for n in range(reservations):
        stock = Stock.from_history(stock.id, [r.event for r in store.read_stream(stock.id)])
        stock.reserve(UUID(int=n + 1), 1)
        store.append(stock.id, stock.pending_events, expected_version=n + 1)
    return stock.id


def test_a_snapshot_replays_only_the_events_after_it_and_loads_the_same_state():
    store = InMemoryEventStore()
    stream = stocked(store, 250)
    plain = Stock.from_history(stream, [r.event for r in store.read_stream(stream)])
    repo = SnapshottingRepository(store, Stock, every=100)
    first = repo.get(stream)
    assert repo.replayed == 251  # no snapshot yet: the whole stream, then one is taken
    second = repo.get(stream)
    assert repo.replayed == 0 and vars(second) == vars(first) == vars(plain)


def test_a_snapshot_of_another_state_version_is_ignored():
    store = InMemoryEventStore()
    stream = stocked(store, 120)
    repo = SnapshottingRepository(store, Stock, every=100)
    repo.get(stream)

    class StockV2(Stock):
        state_version = 2

    repo.aggregate_type = StockV2
    reloaded = repo.get(stream)
    assert repo.replayed == 121 and reloaded.reserved == 120
    assert stream == stock_id_of("MIDNIGHT-LAMP")
