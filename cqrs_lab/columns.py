"""Python values to DuckDB columns, fast: the hand-off every batched upsert pays.

DuckDB converts a pandas ``object`` column one Python object at a time, and for UUIDs
that costs more than everything else a projection does (about 1.5 us a value). Numbers
cross for free, so a UUID travels as two unsigned 64-bit halves that SQL joins again
(``(hi::UHUGEINT << 64 | lo)::UUID``), and a timestamp as microseconds since the epoch,
converted once per distinct value: a batch of events shares a handful of instants.
Anything these fast paths do not recognise (``None``, strings) takes the slow, general
``object`` path instead, so correctness never depends on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

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


def naive_utc_timestamps(values: Sequence[Any]) -> np.ndarray | None:
    """``datetime64[us]`` in naive UTC (DuckDB ``TIMESTAMP``), or None if any is not a datetime.

    Aware datetimes are converted to UTC; naive ones (read back from DuckDB) are UTC
    already. Each distinct value is converted once.
    """
    micros: dict[datetime, int] = {}
    out: list[int] = []
    append = out.append
    try:
        for value in values:
            m = micros.get(value)
            if m is None:
                epoch = _NAIVE_EPOCH if value.tzinfo is None else _AWARE_EPOCH
                m = micros[value] = (value - epoch) // _MICROSECOND
            append(m)
    except (AttributeError, TypeError):
        return None
    return np.array(out, dtype=np.int64).view("datetime64[us]")
