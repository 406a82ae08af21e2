"""Blue-green rebuild: a new projection version catches up beside the live one, then takes over.

Rebuilding a read model in place makes queries wait (or see it half-built). Blue-green
avoids both: the live ("blue") projection keeps serving queries while the new version
("green") projects every event from position 0 into its own DuckDB schema. Both chase the
same event store, so both have a lag; :meth:`BlueGreenRebuild.frame` records the race.
When green has caught up, :meth:`BlueGreenRebuild.cut_over` swaps its tables in for blue's
in one transaction: queries see the old read model until the commit and the new one after,
never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cqrs_lab.read_side.projection import Projection
from cqrs_lab.read_side.projector import CATCH_UP_BATCH, CHECKPOINTS, Projector

#: Schemas a green version may never build in: DuckDB's own, and the live one (checked too).
_RESERVED = {"main", "temp", "information_schema", "pg_catalog"}


class BlueGreenRebuild:
    """Runs ``projections`` (new versions of live ones, same names) beside the live projector.

    Everything is checked before anything is created: a green version building in the
    live schema would overwrite the very tables queries read.

    Raises:
        ValueError: if a projection does not replace a live one of the same name, or the
            schema name is not a plain identifier, is the live schema or a system schema,
            or already holds tables.
    """

    def __init__(
        self,
        live: Projector,
        projections: Iterable[Projection],
        *,
        schema: str = "green",
        batch_size: int | None = None,
    ) -> None:
        projections = list(projections)
        unknown = [p.name for p in projections if p.name not in live.projections]
        if unknown:
            raise ValueError(
                f"blue-green replaces live projections; {unknown} are not running "
                f"(running: {sorted(live.projections)})"
            )
        _check_schema(live, schema)
        self.blue = live
        """The live projector, whose tables queries read until the cut-over."""
        self.schema = schema
        # A second DuckDB connection to the same database whose default schema is `schema`:
        # the new version's tables and checkpoints live there, invisible to queries.
        connection = live.connection.cursor()
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        connection.execute(f"SET schema = '{schema}'")
        self.green = Projector(
            live.event_store,
            connection,
            projections=projections,
            clock=live.clock,
            batch_size=batch_size or live.batch_size,
        )
        """The new version's projector, catching up in its own schema."""
        self.samples: list[dict] = []
        self.cut = False
        """True once queries read the new version."""
        self.sample("start")

    def sample(self, note: str = "") -> None:
        """Record both lags now (the race, as a table)."""
        blue, green = self.blue.lag(), self.green.lag()
        self.samples.append(
            {
                "head": blue.head,
                "blue_behind": blue.events_behind,
                "green_behind": green.events_behind,
                "note": note,
            }
        )

    def advance(self, n: int | None = None) -> int:
        """Let green project its next ``n`` events (default: one batch); returns how many."""
        done = self.green.step(n or self.green.batch_size or CATCH_UP_BATCH)
        self.sample("green step")
        return done

    def frame(self) -> pd.DataFrame:
        """The lag samples: head, blue_behind, green_behind, note."""
        return pd.DataFrame(self.samples, columns=["head", "blue_behind", "green_behind", "note"])

    def cut_over(self) -> int:
        """Finish green's catch-up, then swap its tables in for blue's, atomically.

        Returns the position at which queries switched to the new version.
        """
        if self.cut:
            raise RuntimeError("this blue-green rebuild has already cut over")
        self.green.catch_up()
        self.sample("green caught up")
        position = self.green.position
        # One transaction: tables, rows, checkpoints and the green schema change together,
        # or (on any error) not at all, and blue keeps running its old versions.
        with self.blue.transaction() as con:
            for name, new in self.green.projections.items():
                # Replace the old version's tables with the new version's, rows included.
                for table in self.blue.projections[name].tables:
                    con.execute(f"DROP TABLE IF EXISTS {table.name}")
                for table in new.tables:
                    table.create(con)
                    con.execute(
                        f"INSERT INTO {table.name} SELECT * FROM {self.schema}.{table.name}"
                    )
                con.execute(
                    f"UPDATE {CHECKPOINTS} SET position = ? WHERE projection = ?",
                    [self.green.checkpoints()[name], name],
                )
            con.execute(f"DROP SCHEMA {self.schema} CASCADE")
        # Only after the commit: a failed swap leaves blue running its old versions.
        self.blue.projections.update(self.green.projections)
        self.cut = True
        self.sample("cut over")
        return position


def _check_schema(live: Projector, schema: object) -> None:
    """Refuse a schema green must not build in (see :class:`BlueGreenRebuild`)."""
    if not isinstance(schema, str) or not schema.isidentifier():
        raise ValueError(f"schema must be a plain identifier, got {schema!r}")
    [(current,)] = live.connection.execute("SELECT current_schema()").fetchall()
    if schema.lower() in _RESERVED | {current.lower()}:
        raise ValueError(
            f"schema {schema!r} is where live tables or DuckDB's own live; green needs a "
            "schema of its own (the default is 'green')"
        )
    held = live.connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE lower(schema_name) = lower(?) "
        "ORDER BY table_name",
        [schema],
    ).fetchall()
    if held:
        raise ValueError(
            f"schema {schema!r} already holds tables {[name for (name,) in held]}; "
            "drop it or choose another schema"
        )
