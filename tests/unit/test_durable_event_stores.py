"""What the durable stores add to the contract: events survive the process that wrote them.

Each store here is read back through a *second* store object on the same database, the way
a restarted lab or another process sees it: nothing comes from the writer's memory.
"""

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import psycopg
import pytest

from cqrs_lab import ConcurrencyError, DomainEvent, PostgresEventStore, SQLiteEventStore
from cqrs_lab.orders import Address, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.write_side.event_codec import (
    EventCodec,
    StoredEventError,
    UnknownEventTypeError,
    recorded_events,
    topic_of,
)

ORDER = UUID("5eed0000-0000-4000-8000-00000000ada0")
ADA = UUID("00000000-0000-4000-8000-00000000ada1")
ADDRESS = Address(street="12 St James's Sq", city="London", postal_code="SW1Y 4JH", country="UK")


def ada_orders_an_armchair():
    return [
        OrderCreated(
            order_id=ORDER,
            customer_id=ADA,
            shipping_address=ADDRESS,
            version=1,
            occurred_at=datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC),
        ),
        OrderItemAdded(
            order_id=ORDER,
            product_id="CRUNCHY-ARMCHAIR",
            quantity=2,
            unit_price=249.99,
            version=2,
            occurred_at=datetime(2026, 1, 5, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        OrderShipped(order_id=ORDER, version=3),
    ]


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request, tmp_path):
    """Opens a store on one database each call, as a new process would; closes them all."""
    opened = []
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgres" else None

    def open_store():
        if dsn is None:
            store = SQLiteEventStore(tmp_path / "lab" / "events.sqlite")
        else:
            store = PostgresEventStore(dsn)
        opened.append(store)
        return store

    (tmp_path / "lab").mkdir()
    yield open_store
    for store in opened:
        store.close()


def test_events_come_back_equal_with_their_ids_times_and_nested_values(open_store):
    written = ada_orders_an_armchair()
    recorded = open_store().append(ORDER, written, expected_version=0)

    read = open_store().read_all()

    assert read == recorded
    assert [r.event for r in read] == written
    assert [type(r.event) for r in read] == [OrderCreated, OrderItemAdded, OrderShipped]
    created, added, _ = (r.event for r in read)
    assert created.shipping_address == ADDRESS and isinstance(created.customer_id, UUID)
    assert created.occurred_at == written[0].occurred_at and created.occurred_at.microsecond
    assert added.occurred_at.utcoffset() == timedelta(hours=1)
    assert added.unit_price == 249.99


def test_a_reopened_store_continues_positions_versions_and_streams(open_store):
    first = open_store()
    first.append(ORDER, ada_orders_an_armchair()[:2], expected_version=0)
    first.close()

    again = open_store()
    assert again.head == 2 and again.stream_version(ORDER) == 2
    assert again.stream_ids() == [ORDER]
    [shipped] = again.append(ORDER, ada_orders_an_armchair()[2:], expected_version=2)
    assert shipped.position == 3
    assert [r.version for r in again.read_stream(ORDER)] == [1, 2, 3]


def test_two_store_objects_on_one_database_share_positions_and_versions(open_store):
    one, other = open_store(), open_store()
    one.append(ORDER, ada_orders_an_armchair()[:1], expected_version=0)
    with pytest.raises(ConcurrencyError) as caught:
        other.append(ORDER, ada_orders_an_armchair()[:1], expected_version=0)
    assert caught.value.actual_version == 1
    other.append(ORDER, ada_orders_an_armchair()[1:2], expected_version=1)
    one.append(ORDER, ada_orders_an_armchair()[2:], expected_version=2)
    assert [r.position for r in other.read_all()] == [1, 2, 3] and one.head == other.head == 3


def test_an_event_class_defined_in_a_function_round_trips_within_its_process(open_store):
    class NoteAdded(DomainEvent):
        note_id: UUID
        text: str

        @property
        def aggregate_id(self):
            return self.note_id

    note = NoteAdded(note_id=ORDER, text="hi", version=1)
    store = open_store()
    store.append(ORDER, [note], expected_version=0)
    assert store.read_all()[0].event == note
    with pytest.raises(UnknownEventTypeError, match="NoteAdded"):
        open_store().read_all()  # another process could not import it: said, not guessed


def test_a_stored_event_of_an_unknown_type_is_named_when_read(tmp_path):
    path = tmp_path / "events.sqlite"
    with SQLiteEventStore(path) as store:
        store.append(ORDER, ada_orders_an_armchair()[:1], expected_version=0)
    with sqlite3.connect(path) as database:
        database.execute("UPDATE events SET topic = 'cqrs_lab.orders.events:OrderLost'")
    database.close()
    with SQLiteEventStore(path) as store:
        with pytest.raises(UnknownEventTypeError, match="'cqrs_lab.orders.events:OrderLost'"):
            store.read_all()


def test_a_stored_event_that_no_longer_validates_is_named_by_its_position(tmp_path):
    path = tmp_path / "events.sqlite"
    with SQLiteEventStore(path) as store:
        store.append(ORDER, ada_orders_an_armchair(), expected_version=0)
    with sqlite3.connect(path) as database:
        database.execute(
            "UPDATE events SET data = replace(data, '\"quantity\":2', '\"quantity\":-2')"
        )
    database.close()
    with SQLiteEventStore(path) as store, pytest.raises(StoredEventError) as refused:
        store.read_all()
    assert refused.value.position == 2 and "quantity" in str(refused.value)
    assert "position 2 (cqrs_lab.orders.events:OrderItemAdded)" in str(refused.value)


def test_a_stored_text_holding_two_events_is_named_not_shifted_into_the_next(tmp_path):
    """Events of one type are validated together as one JSON list; a row whose text holds
    two objects must not hand every later event of its type one position on."""
    path = tmp_path / "events.sqlite"
    with SQLiteEventStore(path) as store:
        store.append(ORDER, ada_orders_an_armchair(), expected_version=0)
    with sqlite3.connect(path) as database:
        database.execute("UPDATE events SET data = data || ',' || data WHERE position = 2")
    database.close()
    with SQLiteEventStore(path) as store, pytest.raises(StoredEventError) as refused:
        store.read_all()
    assert refused.value.position == 2


def test_the_tables_are_readable_sql_for_a_learner(postgres_dsn):
    with PostgresEventStore(postgres_dsn) as store:
        store.append(ORDER, ada_orders_an_armchair(), expected_version=0)
    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute(
            "SELECT position, type, topic, data->'shipping_address'->>'city' FROM events"
        ).fetchall()
    assert rows[0] == (1, "OrderCreated", topic_of(OrderCreated), "London")
    assert [row[1] for row in rows] == ["OrderCreated", "OrderItemAdded", "OrderShipped"]


def test_store_objects_appending_at_once_from_threads_share_one_gap_free_log(open_store):
    stores = [open_store() for _ in range(4)]  # four connections, as four processes would have

    def write(store, writer):
        stream = UUID(int=writer, version=4)
        for version in range(1, 26):
            store.append(
                stream,
                [OrderShipped(order_id=stream, version=version)],
                expected_version=version - 1,
            )

    threads = [threading.Thread(target=write, args=(s, w)) for w, s in enumerate(stores, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read = open_store().read_all()
    assert [r.position for r in read] == list(range(1, 101))
    assert sorted((r.stream_id.int, r.version) for r in read) == sorted(
        (UUID(int=w, version=4).int, v) for w in range(1, 5) for v in range(1, 26)
    )


def test_a_postgres_store_never_shows_its_password(postgres_dsn):
    with PostgresEventStore(f"{postgres_dsn} password=hunter2") as store:
        assert "hunter2" not in repr(store) and "dbname=postgres" in repr(store)


def test_a_sqlite_store_that_cannot_open_its_file_names_it(tmp_path):
    with pytest.raises(sqlite3.OperationalError, match="no-such-folder/events.sqlite"):
        SQLiteEventStore(tmp_path / "no-such-folder" / "events.sqlite")
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("Ada's shopping list, not a database" * 200)
    with pytest.raises(sqlite3.DatabaseError, match="notes.txt"):
        SQLiteEventStore(not_a_database)


def test_the_codec_reads_rows_whose_data_a_driver_returns_as_bytes():
    codec = EventCodec()
    written = ada_orders_an_armchair()
    rows = [
        (position, ORDER, None, topic, 0, data.encode())
        for position, event in enumerate(written, 1)
        for topic, data in [codec.encode(event)]
    ]
    assert codec.decode_all(rows) == written
    records = recorded_events(rows, written)
    assert [(r.position, r.stream_id, r.event) for r in records] == [
        (1, ORDER, written[0]),
        (2, ORDER, written[1]),
        (3, ORDER, written[2]),
    ]
