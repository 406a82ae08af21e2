"""Queries read DuckDB only, page in SQL, and cannot write through read_db."""

import threading

import duckdb
import pytest

from cqrs_lab import Projector, ReadOnlyConnection, ReadOnlyError
from cqrs_lab.orders import (
    ADA,
    GRACE,
    CancelOrder,
    GetCustomerStats,
    GetOrderById,
    GetOrdersByCustomer,
    OrderStatus,
    created_order_id,
)
from tests.builders import armchair_and_keyboards, snapshot


def test_get_order_by_id_returns_the_projected_view(lab):
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    assert lab.query(GetOrderById(order_id=order_id)) is None  # async: not projected yet
    lab.catch_up()
    view = lab.query(GetOrderById(order_id=order_id))
    assert (view.customer_name, view.status, view.total_amount, view.item_count) == (
        "Ada Lovelace",
        OrderStatus.PENDING,
        428.0,
        2,
    )
    assert view.created_at == lab.clock.now() and view.created_at.tzinfo is not None


def test_orders_by_customer_filters_by_status_and_pages_newest_first(lab):
    ids = []
    for _ in range(5):
        ids.append(created_order_id(lab.dispatch(armchair_and_keyboards())))
        lab.clock.advance(60)
    lab.dispatch(CancelOrder(order_id=ids[1], reason="x"))
    lab.dispatch(armchair_and_keyboards(customer_id=GRACE))
    lab.catch_up()
    everything = lab.query(GetOrdersByCustomer(customer_id=ADA))
    assert [v.id for v in everything] == ids[::-1]
    pages = [
        lab.query(GetOrdersByCustomer(customer_id=ADA, page=p, page_size=2)) for p in (1, 2, 3, 4)
    ]
    assert [[v.id for v in page] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[:1], []]
    cancelled = lab.query(GetOrdersByCustomer(customer_id=ADA, status=OrderStatus.CANCELLED))
    assert [v.id for v in cancelled] == [ids[1]]


def test_customer_stats_count_orders_and_spend_excluding_cancelled(lab):
    keep = created_order_id(lab.dispatch(armchair_and_keyboards()))
    drop = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.dispatch(CancelOrder(order_id=drop, reason="x"))
    lab.catch_up()
    stats = lab.query(GetCustomerStats(customer_id=ADA))
    assert (stats.order_count, stats.cancelled_count, stats.total_spent) == (2, 1, 428.0)
    assert keep != drop


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE order_summary SET status = 'shipped'",
        "INSERT INTO order_summary (id) VALUES (uuid())",
        "DELETE FROM order_summary",
        "DROP TABLE order_summary",
        "CREATE TABLE sneaky (a INT)",
        "SELECT 1; UPDATE order_summary SET status = 'x'",
        "ATTACH ':memory:' AS sneaky",
        "COPY order_summary TO 'leak.csv'",
        "SET threads = 1",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA threads = 1",
        "CALL enable_logging()",
        "BEGIN TRANSACTION",
    ],
)
def test_read_db_refuses_every_write(lab, statement):
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    before = lab.read_model("order_summary")
    with pytest.raises(ReadOnlyError, match="read-only"):
        lab.read_db.execute(statement)
    assert lab.read_model("order_summary").equals(before)
    assert lab.read_db.tables() == [
        "customer_stats",
        "customer_stats_orders",
        "order_summary",
        "projector_checkpoints",
    ]


def test_read_db_answers_selects(lab):
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    assert lab.read_db.execute("SELECT count(*) FROM order_summary").fetchone() == (1,)
    with pytest.raises(LookupError, match="no read-model table 'orders'"):
        lab.read_db.table("orders")


# -- hostile reads: each of these wrote, read or reconfigured through read_db before -----


@pytest.fixture
def projected(lab):
    """A lab with one projected order (Ada's armchair and keyboards)."""
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    return lab


@pytest.mark.parametrize(
    "statement",
    [
        "WITH x AS (DELETE FROM order_summary RETURNING *) SELECT count(*) FROM x",
        "WITH x AS (UPDATE order_summary SET status = 'shipped' RETURNING *) SELECT count(*) FROM x",
        "WITH x AS (INSERT INTO order_summary (id) VALUES (uuid()) RETURNING *) "
        "SELECT count(*) FROM x",
        "WITH x AS (DELETE FROM customer_stats RETURNING *) SELECT count(*) FROM x",
        "EXPLAIN ANALYZE UPDATE projector_checkpoints SET position = 0",
        "EXPLAIN ANALYZE DELETE FROM order_summary",
        "EXPLAIN ANALYZE DROP TABLE order_summary",
        "EXPLAIN ANALYZE CREATE TABLE sneaky AS SELECT 1",
        "EXPLAIN ANALYZE CREATE MACRO sneaky(a) AS a",
    ],
)
def test_a_write_dressed_as_a_query_changes_nothing(projected, statement):
    before = snapshot(projected)
    with pytest.raises(ReadOnlyError, match="read-only"):
        projected.read_db.execute(statement)
    assert snapshot(projected) == before


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM enable_logging()",
        "EXPLAIN ANALYZE SET threads = 1",
        "EXPLAIN ANALYZE SET schema = 'elsewhere'",
        "EXPLAIN ANALYZE PRAGMA threads = 1",
        "EXPLAIN ANALYZE LOAD json",
        "EXPLAIN ANALYZE CALL enable_logging()",
        "EXPLAIN ANALYZE CHECKPOINT",
    ],
)
def test_a_query_cannot_reach_files_or_settings(projected, statement):
    settings = projected.read_db.df("SELECT name, value FROM duckdb_settings()")
    with pytest.raises(ReadOnlyError):
        projected.read_db.execute(statement)
    assert projected.read_db.df("SELECT name, value FROM duckdb_settings()").equals(settings)
    assert projected.query(GetCustomerStats(customer_id=ADA)).order_count == 1


def test_a_query_cannot_copy_a_read_model_to_a_file(projected, tmp_path):
    leak = tmp_path / "leak.csv"
    with pytest.raises(ReadOnlyError):
        projected.read_db.execute(f"EXPLAIN ANALYZE COPY order_summary TO '{leak}'")
    assert not leak.exists()


def test_read_db_returns_data_never_a_cursor(projected):
    result = projected.read_db.execute("SELECT count(*) AS orders FROM order_summary")
    with pytest.raises(AttributeError, match="data, not a cursor"):
        result.execute("DROP TABLE order_summary")
    assert not isinstance(result, duckdb.DuckDBPyConnection)
    assert "order_summary" in projected.read_db.tables()
    assert result.columns == ["orders"] and result.fetchone() == (1,) and result.fetchone() is None


def test_a_checkpoint_cannot_be_moved_through_read_db(lab):
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    later = created_order_id(lab.dispatch(armchair_and_keyboards(customer_id=GRACE)))
    with pytest.raises(ReadOnlyError):
        lab.read_db.execute(
            "WITH x AS (UPDATE projector_checkpoints SET position = position + 3 RETURNING *) "
            "SELECT count(*) FROM x"
        )
    restarted = Projector(
        lab.event_store,
        lab.projector.connection,
        projections=lab.projector.projections.values(),
        clock=lab.clock,
    )
    assert restarted.catch_up() > 0
    assert lab.query(GetOrderById(order_id=later)).customer_name == "Grace Hopper"


@pytest.mark.parametrize("sql", ["", "   ", "-- nothing but a comment", ";"])
def test_read_db_refuses_an_empty_statement(lab, sql):
    with pytest.raises(ValueError, match="exactly one SQL statement per call; got none"):
        lab.read_db.execute(sql)


def test_read_db_runs_one_statement_per_call(lab):
    with pytest.raises(ValueError, match="got 2 in"):
        lab.read_db.execute("SELECT 1; SELECT 2")


def test_read_db_explains_queries(projected):
    plan = projected.read_db.execute("EXPLAIN SELECT status FROM order_summary").fetchall()
    assert "order_summary" in str(plan).lower()
    assert projected.read_db.execute("EXPLAIN ANALYZE SELECT 1").fetchall()


def test_reads_see_every_commit_at_once_from_any_thread(lab):
    counts: dict[int, list[int]] = {n: [] for n in range(3)}
    start = threading.Barrier(4)

    def reader(n):
        start.wait()
        for _ in range(40):
            counts[n].append(
                lab.read_db.execute("SELECT count(*) FROM order_summary").fetchone()[0]
            )

    threads = [threading.Thread(target=reader, args=(n,)) for n in counts]
    for thread in threads:
        thread.start()
    start.wait()
    for _ in range(5):
        lab.dispatch(armchair_and_keyboards())
        lab.catch_up()
    for thread in threads:
        thread.join()
    assert all(len(seen) == 40 for seen in counts.values())  # no reader failed
    assert all(seen == sorted(seen) for seen in counts.values())  # snapshots never go back
    assert lab.read_db.execute("SELECT count(*) FROM order_summary").fetchone() == (5,)


def test_a_file_database_is_read_only_too(tmp_path):
    from cqrs_lab.orders import build_lab

    lab = build_lab(database=str(tmp_path / "lab.duckdb"))
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    assert len(lab.read_model("order_summary")) == 1
    (tmp_path / "secret.txt").write_text("hunter2")
    with pytest.raises(ReadOnlyError, match="file system operations are disabled"):
        lab.read_db.execute(f"SELECT * FROM read_text('{tmp_path}/secret.txt')")


def test_read_only_access_can_be_opened_twice_on_one_database():
    connection = duckdb.connect()
    first, second = ReadOnlyConnection(connection), ReadOnlyConnection(connection)
    assert first.tables() == second.tables() == []
