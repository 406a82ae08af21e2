"""The consistency check: are the live read models what the events say they should be?

The event log is the truth; a read model is only a cache of a fold over it. So the check is
simple and needs no trust in the projector: fold the same events again, from scratch, into
a scratch schema of the same DuckDB database (dropped afterwards), and compare it with the
live tables in one SQL query (a full outer join per table, one row per differing value). Each projection is
compared at its own checkpoint, so a read model that is merely behind is not "wrong". Run
it after every fault: an empty ``differences`` frame is the proof nothing was lost or
counted twice.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cqrs_lab.read_side.projection import Projection, Table
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.write_side.event_source import SourceUpTo

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
    """Compare ``target``'s read models (a Projector, or a lab) with a from-scratch rebuild.

    The projector is paused meanwhile, so tables and checkpoints are read from one moment
    even while other threads catch up.
    """
    projector: Projector = getattr(target, "projector", target)
    with projector.paused():
        return _check(projector)


def _check(projector: Projector) -> ConsistencyReport:
    groups: dict[int, list[Projection]] = defaultdict(list)
    for name, projection in projector.projections.items():
        groups[projector.checkpoints()[name]].append(projection)
    unprojectable = []
    # The rebuild goes into a scratch schema of the same database: a new connection to
    # DuckDB costs far more than a schema, and the schema is dropped afterwards.
    [(live,)] = projector.connection.execute("SELECT current_schema()").fetchall()
    scratch_db = projector.connection.cursor()
    schemas: list[str] = []
    comparisons: list[str] = []
    try:
        for position, projections in sorted(groups.items()):
            schemas.append(f"consistency_check_{next(_scratch_numbers)}")
            scratch_db.execute(f"CREATE SCHEMA {schemas[-1]}")
            scratch_db.execute(f"SET schema = '{schemas[-1]}'")
            scratch = Projector(
                SourceUpTo(projector.event_store, position),
                scratch_db,
                projections=projections,
                clock=projector.clock,
                dead_letter_policy="skip",
            )
            scratch.catch_up()
            unprojectable.append(scratch.dead_letters.frame())
            for projection in projections:
                for table in projection.tables:
                    comparisons.append(_comparison(table, live, schemas[-1]))
        # Every differing value of every table, in one query.
        differences = scratch_db.execute(" UNION ALL ".join(comparisons) or _NO_DIFFERENCES).df()
    finally:
        for schema in schemas:
            scratch_db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    differences = differences.sort_values(DIFF_COLUMNS[:3], ignore_index=True)
    bad = [f for f in unprojectable if not f.empty]
    return ConsistencyReport(
        differences=differences,
        dead_letters=projector.dead_letters.frame(),
        unprojectable=pd.concat(bad, ignore_index=True) if bad else pd.DataFrame(),
        positions=projector.checkpoints(),
    )


_NO_DIFFERENCES = (
    "SELECT ''::VARCHAR AS \"table\", ''::VARCHAR AS key, ''::VARCHAR AS \"column\", "
    "''::VARCHAR AS live, ''::VARCHAR AS rebuilt WHERE false"
)

#: Column types compared with a tolerance (sums of floats may differ in the last bits).
_FLOATS = ("DOUBLE", "FLOAT", "REAL")


def _comparison(table: Table, live: str, scratch: str) -> str:
    """SQL for the differences of one table: live ``{live}.{table}`` against the rebuilt
    ``{scratch}.{table}``, as rows (table, key, column, live, rebuilt), values as text."""
    key = table.key
    joined = f"{live}.{table.name} l JOIN {scratch}.{table.name} r ON l.{key} = r.{key}"
    parts = [
        # Rows present on one side only.
        f"SELECT '{table.name}' AS \"table\", CAST(coalesce(l.{key}, r.{key}) AS VARCHAR) "
        "AS key, '(whole row)' AS \"column\", "
        f"CASE WHEN l.{key} IS NULL THEN 'missing' ELSE 'present' END AS live, "
        f"CASE WHEN r.{key} IS NULL THEN 'missing' ELSE 'present' END AS rebuilt "
        f"FROM {joined.replace(' JOIN ', ' FULL JOIN ')} WHERE l.{key} IS NULL OR r.{key} IS NULL"
    ]
    for column, sql_type in table.columns.items():
        same = f"l.{column} IS NOT DISTINCT FROM r.{column}"
        if sql_type.upper().startswith(_FLOATS):
            same += (
                f" OR abs(l.{column} - r.{column}) <= "
                f"greatest(1e-9, 1e-9 * greatest(abs(l.{column}), abs(r.{column})))"
            )
        parts.append(
            f"SELECT '{table.name}', CAST(l.{key} AS VARCHAR), '{column}', "
            f"coalesce(CAST(l.{column} AS VARCHAR), 'missing'), "
            f"coalesce(CAST(r.{column} AS VARCHAR), 'missing') "
            f"FROM {joined} WHERE NOT ({same})"
        )
    return " UNION ALL ".join(parts)


def _at(positions: dict[str, int]) -> str:
    return ", ".join(f"{name} at {position}" for name, position in positions.items())
