"""The consistency check: are the live read models what the events say they should be?

The event log is the truth; a read model is only a cache of a fold over it. So the check is
simple and needs no trust in the projector: fold the same events again, from scratch, into
a scratch schema of the same DuckDB database (dropped afterwards), and compare row by row with the live tables. Each projection is
compared at its own checkpoint, so a read model that is merely behind is not "wrong". Run
it after every fault: an empty ``differences`` frame is the proof nothing was lost or
counted twice.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from cqrs_lab.read_side.projection import Projection, Table
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.read_side.time_travel import _StoreUpTo

DIFF_COLUMNS = ["table", "key", "column", "live", "rebuilt"]
_scratch_numbers = itertools.count(1)


@dataclass(frozen=True)
class ConsistencyReport:
    """What differs between the live read models and a from-scratch rebuild."""

    differences: pd.DataFrame
    """One row per differing value: table, key, column, live, rebuilt (as text)."""
    dead_letters: pd.DataFrame
    """The live projector's open dead letters (their effects are missing or pending)."""
    unprojectable: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Events that even the fresh rebuild could not apply (damaged events)."""
    positions: dict[str, int] = field(default_factory=dict)
    """The checkpoint each projection was compared at."""

    @property
    def ok(self) -> bool:
        """True when every row matches and no dead letter is waiting."""
        return self.differences.empty and self.dead_letters.empty

    def __str__(self) -> str:
        if self.ok:
            return f"consistent: every read model equals a rebuild ({_at(self.positions)})"
        parts = []
        if not self.differences.empty:
            counts = self.differences.groupby("table")["key"].nunique()
            parts.append(", ".join(f"{t}: {n} row(s) differ" for t, n in counts.items()))
        if not self.dead_letters.empty:
            parts.append(f"{len(self.dead_letters)} dead letter(s) waiting")
        if not self.unprojectable.empty:
            parts.append(f"{len(self.unprojectable)} event(s) no rebuild can apply")
        return f"INCONSISTENT: {'; '.join(parts)} ({_at(self.positions)})"


def check_consistency(target: Any) -> ConsistencyReport:
    """Compare ``target``'s read models (a Projector, or a lab) with a from-scratch rebuild."""
    projector: Projector = getattr(target, "projector", target)
    groups: dict[int, list[Projection]] = defaultdict(list)
    for name, projection in projector.projections.items():
        groups[projector.checkpoints()[name]].append(projection)
    differences: list[dict[str, str]] = []
    unprojectable = []
    # The rebuild goes into a scratch schema of the same database: a new connection to
    # DuckDB costs far more than a schema, and the schema is dropped afterwards.
    scratch_db = projector.connection.cursor()
    schemas = []
    try:
        for position, projections in sorted(groups.items()):
            schemas.append(f"consistency_check_{next(_scratch_numbers)}")
            scratch_db.execute(f"CREATE SCHEMA {schemas[-1]}")
            scratch_db.execute(f"SET schema = '{schemas[-1]}'")
            scratch = Projector(
                _StoreUpTo(projector.event_store, position),  # type: ignore[arg-type]
                scratch_db,
                projections=projections,
                clock=projector.clock,
                batch_size=100_000,
                dead_letter_policy="skip",
            )
            scratch.catch_up()
            unprojectable.append(scratch.dead_letters.frame())
            for projection in projections:
                for table in projection.tables:
                    live = _rows(projector.connection, table)
                    rebuilt = _rows(scratch_db, table, schemas[-1])
                    differences += _diff(table, live, rebuilt)
    finally:
        for schema in schemas:
            scratch_db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    frame = pd.DataFrame(differences, columns=DIFF_COLUMNS)
    frame = frame.sort_values(DIFF_COLUMNS[:3], ignore_index=True)
    bad = [f for f in unprojectable if not f.empty]
    return ConsistencyReport(
        differences=frame,
        dead_letters=projector.dead_letters.frame(),
        unprojectable=pd.concat(bad, ignore_index=True) if bad else pd.DataFrame(),
        positions=projector.checkpoints(),
    )


def _rows(
    con: duckdb.DuckDBPyConnection, table: Table, schema: str | None = None
) -> dict[Any, dict[str, Any]]:
    name = f"{schema}.{table.name}" if schema else table.name
    cursor = con.execute(f"SELECT * FROM {name}")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def _diff(table: Table, live: dict, rebuilt: dict) -> list[dict[str, str]]:
    rows = []
    for key in live.keys() | rebuilt.keys():
        ours, theirs = live.get(key), rebuilt.get(key)
        if ours is None or theirs is None:
            rows.append(_row(table, key, "(whole row)", ours and "present", theirs and "present"))
            continue
        for column in table.columns:
            if not _same(ours[column], theirs[column]):
                rows.append(_row(table, key, column, ours[column], theirs[column]))
    return rows


def _row(table: Table, key: Any, column: str, live: Any, rebuilt: Any) -> dict[str, str]:
    show = lambda value: "missing" if value is None else str(value)  # noqa: E731
    return {
        "table": table.name,
        "key": str(key),
        "column": column,
        "live": show(live),
        "rebuilt": show(rebuilt),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _at(positions: dict[str, int]) -> str:
    return ", ".join(f"{name} at {position}" for name, position in positions.items())
