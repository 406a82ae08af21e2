"""TableRows: rows a batch loaded are updated, new rows inserted, none doubled."""

from __future__ import annotations

from uuid import UUID

import duckdb
import pytest

from cqrs_lab.read_side.projection import TableRows
from cqrs_lab.read_side.table import Table

TABLE = Table("tallies", key="id", columns={"id": "UUID", "count": "INTEGER"})


def key(n: int) -> UUID:
    return UUID(int=n + 1, version=4)


def stored_table(rows: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    TABLE.create(con)
    TABLE.insert(con, [{"id": key(n), "count": 1} for n in range(rows)])
    return con


@pytest.mark.parametrize("size", [3, 200])  # query parameters, and NumPy columns
def test_loaded_rows_are_updated_new_ones_inserted_and_unread_ones_replaced(size):
    con = stored_table(2 * size)
    rows = TableRows(TABLE, con)
    rows.load([key(n) for n in range(size)])
    for n in range(size):
        rows[key(n)]["count"] += 1  # loaded, then changed
    for n in range(size, 2 * size):
        rows[key(n)] = {"id": key(n), "count": 7}  # stored, set without being read
    for n in range(2 * size, 3 * size):
        rows[key(n)] = {"id": key(n), "count": 5}  # new

    rows.write()

    counts = dict(con.execute("SELECT id, count FROM tallies").fetchall())
    assert len(counts) == 3 * size
    assert [counts[key(n)] for n in (0, size, 2 * size)] == [2, 7, 5]
    assert sorted(set(counts.values())) == [2, 5, 7]


def test_a_new_row_under_a_stored_key_it_never_looked_at_is_not_doubled():
    con = stored_table(1)
    rows = TableRows(TABLE, con)
    rows.load([key(5)])  # another key: key(0)'s row was never asked for
    rows[key(0)] = {"id": key(0), "count": 9}

    rows.write()

    assert con.execute("SELECT id, count FROM tallies").fetchall() == [(key(0), 9)]


def test_loaded_rows_are_held_under_the_batchs_own_key_objects():
    con = stored_table(100)
    wanted = [UUID(int=n + 1, version=4) for n in range(100)]  # equal to, not, DuckDB's

    rows = TableRows(TABLE, con)
    rows.load(wanted)

    assert len(rows) == 100
    held = {id(key) for key in rows}
    assert held == {id(key) for key in wanted}
