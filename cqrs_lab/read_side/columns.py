"""Python values to DuckDB columns, fast: the hand-off every batched upsert pays.

DuckDB converts a pandas ``object`` column one Python object at a time, and for UUIDs
that costs more than everything else a projection does (about 1.5 us a value). Numbers
cross for free, so a UUID travels as two unsigned 64-bit halves that SQL joins again
(``(hi::UHUGEINT << 64 | lo)::UUID``), and a timestamp as microseconds since the epoch,
converted a column at a time by pandas.
Anything these fast paths do not recognise (``None``, strings) takes the slow, general
``object`` path instead, so correctness never depends on them.

Columns travel as a plain dict of NumPy arrays, which DuckDB scans directly: wrapping
them in a pandas DataFrame first costs more than the scan on a small batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

_AWARE_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def uuid_halves(values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """The high and low 64 bits of each UUID, or None if any value is not a UUID."""
    try:
        packed = b"".join([value.int.to_bytes(16) for value in values])
    except (AttributeError, OverflowError):
        return None
    if len(packed) != 16 * len(values):
        return None
    halves = np.frombuffer(packed, dtype=">u8").reshape(-1, 2).astype(np.uint64)
    return halves[:, 0], halves[:, 1]


def uuid_sql(hi: str, lo: str) -> str:
    """SQL that rebuilds a UUID from its two halves (columns named ``hi`` and ``lo``)."""
    return f"((({hi})::UHUGEINT << 64) | ({lo})::UHUGEINT)::UUID"


#: From this many values a timestamp column is converted by pandas: below it, pandas'
#: fixed cost (about 0.2 ms a call) is more than Python arithmetic per value.
PANDAS_TIMESTAMPS_FROM = 1000


def naive_utc_timestamps(values: Sequence[Any]) -> np.ndarray | None:
    """``datetime64[us]`` in naive UTC (DuckDB ``TIMESTAMP``), or None if any is not a datetime.

    Aware datetimes are converted to UTC; naive ones (read back from DuckDB) are UTC
    already. From :data:`PANDAS_TIMESTAMPS_FROM` values, pandas converts the whole column
    in C, several times faster than Python arithmetic per value (a read model's
    ``created_at`` differs on every row, so there is little to share); a value outside
    pandas' range takes the Python way.
    """
    if not all(issubclass(kind, datetime) for kind in set(map(type, values))):
        return None
    if len(values) < PANDAS_TIMESTAMPS_FROM:
        return _timestamps_one_by_one(values)
    try:
        # No cache: pandas' cache takes the two readings of a repeated hour at the end of
        # daylight saving time (equal, but an hour apart in UTC) for one, and gave NaT.
        converted = pd.to_datetime(pd.Series(values, dtype=object), utc=True, cache=False)
        return converted.dt.tz_localize(None).to_numpy("datetime64[us]")
    except (ValueError, OverflowError, TypeError, AttributeError):
        # Out of pandas' range (OutOfBoundsDatetime is a ValueError), or a tzinfo pandas
        # cannot read: the Python way says what is wrong, or converts it.
        return _timestamps_one_by_one(values)


def _timestamps_one_by_one(values: Sequence[datetime]) -> np.ndarray:
    """:func:`naive_utc_timestamps` in Python arithmetic, each distinct value once.

    A value's second reading of a repeated hour (``fold=1``) equals its first one as a dict
    key, an hour apart in UTC: it is converted on its own, never shared.
    """
    micros: dict[datetime, int] = {}
    out: list[int] = []
    append = out.append
    for value in values:
        m = None if value.fold else micros.get(value)
        if m is None:
            epoch = _NAIVE_EPOCH if value.tzinfo is None else _AWARE_EPOCH
            m = (value - epoch) // _MICROSECOND
            if not value.fold:
                micros[value] = m
        append(m)
    return np.array(out, dtype=np.int64).view("datetime64[us]")


def naive_utc(value: datetime) -> datetime:
    """``value`` as naive UTC, the form a DuckDB ``TIMESTAMP`` column stores.

    Bind this, not an aware datetime: DuckDB binds an aware one as ``TIMESTAMPTZ`` and
    casts it in the session's time zone, so a learner in Paris would store a different
    checkpoint time than the stored notebook outputs show. Naive values are UTC already.
    """
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, columns: Any) -> Iterator[None]:
    """``columns`` visible to SQL as the view ``name`` for the duration of the block.

    If the block fails, the transaction it ran in is aborted and DuckDB refuses even to
    unregister the view; that second error must not hide the first (a duplicate key, say,
    that the caller turns into a ``ProjectionError``), so it is dropped. The view lives
    on the connection only, and the next ``register`` of the same name replaces it.
    """
    con.register(name, columns)
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


#: NumPy kinds (``dtype.kind``) that DuckDB reads natively for each SQL type.
_NATIVE_KINDS = {
    "BOOLEAN": "b",
    "INTEGER": "i",
    "BIGINT": "i",
    "DOUBLE": "fi",
}


def as_array(values: Sequence[Any], sql_type: str) -> np.ndarray:
    """``values`` as an array DuckDB can scan for a column of ``sql_type``.

    Numbers and booleans become a typed array when NumPy infers a kind that fits the
    column (it never truncates: ``[1.5]`` stays float and an INTEGER column gets it as
    an object); everything else, ``None`` included, is an ``object`` array that DuckDB
    converts value by value, raising if a value does not fit.
    """
    kinds = _NATIVE_KINDS.get(sql_type)
    if kinds is not None:
        try:
            array = np.array(values)
        except (TypeError, ValueError, OverflowError):
            array = None
        if array is not None and array.ndim == 1 and array.dtype.kind in kinds:
            return array
    return np.fromiter(values, dtype=object, count=len(values))
