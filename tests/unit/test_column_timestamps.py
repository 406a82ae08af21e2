"""Timestamps cross to DuckDB as naive UTC microseconds, whatever form they come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import duckdb
import numpy as np
import pytest

from cqrs_lab.read_side.columns import PANDAS_TIMESTAMPS_FROM, naive_utc_timestamps
from cqrs_lab.read_side.table import Table

INSTANT = datetime(2026, 12, 3, 4, 25, 0, 123456, tzinfo=UTC)

#: A column short enough for Python arithmetic, and one long enough for pandas.
COPIES = pytest.mark.parametrize("copies", [1, PANDAS_TIMESTAMPS_FROM])


@COPIES
def test_aware_naive_and_offset_values_land_on_the_same_utc_instant(copies):
    paris = timezone(timedelta(hours=1))
    values = [INSTANT, INSTANT.replace(tzinfo=None), INSTANT.astimezone(paris)] * copies

    converted = naive_utc_timestamps(values)

    expected = np.datetime64("2026-12-03T04:25:00.123456", "us")
    assert converted.dtype == np.dtype("datetime64[us]")
    assert list(converted) == [expected] * 3 * copies


@COPIES
def test_the_first_and_last_representable_instants_convert(copies):
    values = [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)] * copies

    converted = naive_utc_timestamps(values)

    assert [str(v) for v in converted] == [
        "0001-01-01T00:00:00.000000",
        "9999-12-31T23:59:59.999999",
    ] * copies


def test_anything_but_datetimes_is_left_to_the_general_path():
    assert naive_utc_timestamps([INSTANT, "2026-12-03"]) is None
    assert naive_utc_timestamps([INSTANT, None]) is None


def test_many_rows_store_each_created_at_exactly():
    table = Table("stamped", key="n", columns={"n": "INTEGER", "stamped_at": "TIMESTAMP"})
    con = duckdb.connect()
    table.create(con)
    step = timedelta(microseconds=1237)
    rows = [{"n": n, "stamped_at": INSTANT + n * step} for n in range(1000)]
    rows[7]["stamped_at"] = rows[7]["stamped_at"].astimezone(timezone(timedelta(hours=-5)))

    table.insert(con, rows)

    stored = con.execute("SELECT stamped_at FROM stamped ORDER BY n").fetchall()
    assert [at for (at,) in stored] == [
        (INSTANT + n * step).replace(tzinfo=None) for n in range(1000)
    ]


@pytest.mark.parametrize("pairs", [1, 100, PANDAS_TIMESTAMPS_FROM // 2])
def test_both_readings_of_a_repeated_hour_keep_their_own_instant(pairs):
    """1:30 on the night New York's clocks go back happens twice, an hour apart (``fold``):
    equal as Python values, so a cache keyed by them would give both the same instant."""
    from zoneinfo import ZoneInfo

    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    values = [first, first.replace(fold=1)] * pairs

    converted = naive_utc_timestamps(values)

    assert [str(v) for v in converted[:2]] == [
        "2026-11-01T05:30:00.000000",
        "2026-11-01T06:30:00.000000",
    ]
    assert len(set(converted[0::2])) == 1 and len(set(converted[1::2])) == 1
