"""Events that change shape, kept in SQLite or PostgreSQL: versions stamped on write, old
shapes upcast on read, and a version nothing can read refused when the lab is built.

Old-shaped rows are written here with plain SQL, as the code of their day wrote them; the
stores never write an old shape themselves.
"""

import json
import sqlite3
from datetime import UTC, datetime
from uuid import UUID

import psycopg
import pytest

from cqrs_lab import PostgresEventStore, SQLiteEventStore
from cqrs_lab.orders import ADA, OrderCreated, OrderItemAdded, build_lab
from cqrs_lab.orders.upcasting import CURRENT_VERSIONS, order_upcasters, rename_and_default
from cqrs_lab.write_side.event_codec import StoredEventError, topic_of
from cqrs_lab.write_side.upcasting import MissingUpcasterError, Upcasters

ORDER = UUID("00000000-0000-4000-8000-0000000000b1")
AT = "2026-01-05T09:00:00+00:00"
CREATED_V1 = {  # the address as one line, before it was split in four
    "order_id": str(ORDER),
    "customer_id": str(ADA),
    "version": 1,
    "occurred_at": AT,
    "ship_to": "12 Analytical Row, London, N1 7AA, GB",
}
ITEM_V2 = {  # sku and price, one unit per line, before the rename
    "order_id": str(ORDER),
    "version": 2,
    "occurred_at": AT,
    "sku": "MIDNIGHT-LAMP",
    "price": 35.25,
}


class Kept:
    """A durable store's database, written to with plain SQL as older code once did."""

    def __init__(self, kind, tmp_path, request):
        self.kind = kind
        self.path = tmp_path / "events.sqlite"
        self.dsn = request.getfixturevalue("postgres_dsn") if kind == "postgres" else None
        self.opened = []

    def open(self, **options):
        if self.kind == "sqlite":
            store = SQLiteEventStore(self.path, **options)
        else:
            store = PostgresEventStore(self.dsn, **options)
        self.opened.append(store)
        return store

    def sql(self, statement, *params):
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as database:
                rows = database.execute(statement, params).fetchall()
            database.close()
            return rows
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            cursor = connection.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def write_old(self, event_type, version, fields):
        """One row in an older shape, as the code of its day appended it."""
        self.open()  # the tables
        position = len(self.sql("SELECT position FROM events")) + 1
        topic = topic_of(
            {"OrderCreated": OrderCreated, "OrderItemAdded": OrderItemAdded}[event_type]
        )
        self.sql(
            "INSERT INTO events (position, stream_id, version, type, topic, recorded_at, data,"
            " schema_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            position, str(ORDER), fields["version"], event_type, topic, AT, json.dumps(fields),
            version,
        )  # fmt: skip
        self.sql(
            "INSERT INTO event_schemas VALUES (?, ?) ON CONFLICT DO NOTHING", event_type, version
        )
        if self.kind == "postgres":
            self.sql("UPDATE event_head SET position = ?", position)


@pytest.fixture(params=["sqlite", "postgres"])
def kept(request, tmp_path):
    kept = Kept(request.param, tmp_path, request)
    yield kept
    for store in kept.opened:
        store.close()


def test_old_shapes_are_read_in_todays_shape_and_stay_stored_as_they_were(kept):
    kept.write_old("OrderCreated", 1, CREATED_V1)
    kept.write_old("OrderItemAdded", 2, ITEM_V2)
    lab = build_lab(event_store=kept.open(), customers={ADA: "Ada Lovelace"})
    created, item = (r.event for r in lab.event_store.read_all())
    assert created.shipping_address.city == "London" and created.shipping_address.country == "GB"
    assert (item.product_id, item.quantity, item.unit_price) == ("MIDNIGHT-LAMP", 1, 35.25)
    assert lab.catch_up() == 2
    assert lab.read_model("order_summary").loc[0, "total_amount"] == 35.25
    stored = [
        json.loads(data)
        for (data,) in kept.sql("SELECT CAST(data AS TEXT) FROM events ORDER BY position")
    ]
    assert stored == [CREATED_V1, ITEM_V2]  # read through upcasters, never rewritten


def test_a_stored_version_no_upcaster_reads_is_refused_when_the_lab_is_built(kept):
    kept.write_old("OrderCreated", 1, CREATED_V1)
    forgot_the_split = Upcasters(CURRENT_VERSIONS)  # OrderCreated v1 -> v2 never registered
    forgot_the_split.register("OrderItemAdded", 2, rename_and_default)
    with pytest.raises(MissingUpcasterError, match=r"1 OrderCreated v1 \(today: v2\)"):
        build_lab(event_store=kept.open(), upcasters=forgot_the_split)


def test_the_check_at_build_reads_the_versions_not_every_event(kept):
    kept.write_old("OrderCreated", 1, CREATED_V1)
    kept.write_old("OrderItemAdded", 3, {"order_id": str(ORDER), "version": 2})  # damaged
    lab = build_lab(event_store=kept.open())  # builds: the damage is met when it is read
    with pytest.raises(StoredEventError, match="position 2"):
        lab.catch_up()


def test_a_lab_stamps_each_event_with_its_types_current_version(kept):
    store = kept.open()
    lab = build_lab(event_store=store, customers={ADA: "Ada Lovelace"})
    lab.event_store.append(ORDER, [_created(), _item()], expected_version=0)
    rows = kept.sql("SELECT type, schema_version FROM events ORDER BY position")
    assert rows == [("OrderCreated", 2), ("OrderItemAdded", 3)]
    assert set(kept.sql("SELECT type, schema_version FROM event_schemas")) >= set(rows)


def test_a_store_without_upcasters_reads_every_row_as_todays_shape(kept):
    store = kept.open(upcasters=order_upcasters())
    store.append(ORDER, [_created(), _item()], expected_version=0)
    assert [r.event for r in kept.open().read_all()] == [_created(), _item()]


def test_old_and_todays_rows_of_several_types_interleaved_come_back_in_position_order(kept):
    other = UUID("00000000-0000-4000-8000-0000000000b2")
    kept.write_old("OrderCreated", 1, CREATED_V1)  # position 1, upcast on read
    store = kept.open(upcasters=order_upcasters())
    appended = store.append(other, [_created(other)], expected_version=0)  # position 2
    kept.write_old("OrderItemAdded", 2, ITEM_V2)  # position 3, upcast on read
    appended += store.append(other, [_item(other)], expected_version=1)  # position 4

    read = kept.open(upcasters=order_upcasters()).read_all()

    assert [(r.position, type(r.event), r.stream_id) for r in read] == [
        (1, OrderCreated, ORDER),
        (2, OrderCreated, other),
        (3, OrderItemAdded, ORDER),
        (4, OrderItemAdded, other),
    ]
    assert [read[1], read[3]] == appended  # today's rows: the very records the appends made
    assert read[0].event.shipping_address.city == "London"
    assert (read[2].event.product_id, read[2].event.unit_price) == ("MIDNIGHT-LAMP", 35.25)
    assert read[0].recorded_at == datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_a_sqlite_file_from_before_schema_versions_opens_and_reads_as_before(tmp_path):
    path = tmp_path / "events.sqlite"
    with sqlite3.connect(path) as database:  # the tables as the first durable store made them
        database.execute(
            "CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL,"
            " version INTEGER NOT NULL, type TEXT NOT NULL, topic TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (stream_id, version))"
        )
        database.execute(
            "INSERT INTO events VALUES (1, ?, 1, 'OrderItemAdded', ?, ?, ?)",
            (str(ORDER), topic_of(OrderItemAdded), AT, _item().model_dump_json()),
        )
    database.close()
    with SQLiteEventStore(path, upcasters=order_upcasters()) as store:
        assert [r.event for r in store.read_all()] == [_item()]
        assert store.read_all()[0].recorded_at == datetime(2026, 1, 5, 9, tzinfo=UTC)


def _created(order_id=ORDER):
    return OrderCreated(
        order_id=order_id,
        customer_id=ADA,
        shipping_address={
            "street": "12 Analytical Row",
            "city": "London",
            "postal_code": "N1 7AA",
            "country": "GB",
        },
        version=1,
        occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )


def _item(order_id=ORDER):
    return OrderItemAdded(
        order_id=order_id,
        product_id="MIDNIGHT-LAMP",
        quantity=1,
        unit_price=35.25,
        version=2,
        occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )
