"""The dead-letter table: events a projection could not apply, kept where you can see them.

A poison event (a handler bug, a damaged event) fails on every delivery. Retrying it
forever hangs the projection; dropping it silently corrupts the read model. The lab does
neither: the failure lands in ``projector_dead_letters`` (a DuckDB table, readable through
``read_db``) with the event's position and type, the projection, the error and the number
of attempts, and the projector's policy decides what happens next:

- ``"raise"`` (default): roll back and raise; nothing is recorded (the original behaviour).
- ``"stop"``: record it and stop that projection just before the event; the others go on.
- ``"skip"``: record it, leave it out of that projection, and go on; the read model then
  lacks the event's effect, which :func:`cqrs_lab.check_consistency` reports.

``Projector.retry_dead_letters()`` tries them again after the fix.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd

from cqrs_lab.read_side.columns import naive_utc
from cqrs_lab.read_side.handler_error import HandlerError, describe
from cqrs_lab.write_side.event_store import RecordedEvent

DEAD_LETTERS = "projector_dead_letters"

DeadLetterPolicy = Literal["raise", "stop", "skip"]
POLICIES = ("raise", "stop", "skip")

OPEN = ("stopped", "skipped")
"""Statuses of dead letters still waiting for a fix; ``"resolved"`` ones are history."""


class DeadLetters:
    """Reads and writes the dead-letter table, and mirrors the open ones in memory."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.open: dict[tuple[str, int], str] = {}
        """(projection, position) -> status, for every dead letter not yet resolved."""
        self._created = False
        self.reload()

    def _exists(self) -> bool:
        # Created with the first dead letter, so a healthy lab's table list stays as it was.
        if self._created:
            return True
        found = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
            "AND schema_name = current_schema()",
            [DEAD_LETTERS],
        ).fetchone()
        self._created = bool(found and found[0])
        return self._created

    def _create(self) -> None:
        self.connection.execute(
            f"CREATE TABLE IF NOT EXISTS {DEAD_LETTERS} (projection VARCHAR, position BIGINT, "
            "event_type VARCHAR, error VARCHAR, attempts INTEGER, status VARCHAR, "
            "failed_at TIMESTAMP, PRIMARY KEY (projection, position))"
        )

    def reload(self) -> None:
        """Re-read the open dead letters from the table."""
        if not self._exists():
            self.open = {}
            return
        rows = self.connection.execute(
            f"SELECT projection, position, status FROM {DEAD_LETTERS} "
            "WHERE list_contains(?, status)",
            [list(OPEN)],
        ).fetchall()
        self.open = {(name, position): status for name, position, status in rows}

    def record(
        self, projection: str, recorded: RecordedEvent, error: BaseException, status: str, at
    ) -> None:
        """Add or update the dead letter for ``projection`` at this event (one more attempt)."""
        self._create()
        self.connection.execute(
            f"INSERT INTO {DEAD_LETTERS} VALUES (?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT DO UPDATE SET attempts = attempts + 1, error = excluded.error, "
            "status = excluded.status, failed_at = excluded.failed_at",
            [projection, recorded.position, recorded.type, _describe(error), status, naive_utc(at)],
        )
        self.open[(projection, recorded.position)] = status

    def set_status(self, keys: list[tuple[str, int]], status: str) -> None:
        """Move the dead letters ``keys`` to ``status`` (``"retrying"``, ``"resolved"``...)."""
        for name, position in keys:
            self.connection.execute(
                f"UPDATE {DEAD_LETTERS} SET status = ? WHERE projection = ? AND position = ?",
                [status, name, position],
            )
        self.reload()

    def skipped(self, projection: str) -> set[int]:
        """Positions ``projection`` leaves out (skipped dead letters)."""
        return {p for (name, p), s in self.open.items() if name == projection and s == "skipped"}

    def frame(self, *, include_resolved: bool = False) -> pd.DataFrame:
        """The dead letters as a DataFrame, by projection and position."""
        columns = ["projection", "position", "event_type", "error", "attempts", "status"]
        if not self._exists():
            return pd.DataFrame(columns=columns)
        where = "" if include_resolved else "WHERE status <> 'resolved'"
        # Through this connection, not a new cursor: a cursor starts in schema ``main`` and
        # would read the live table while a consistency check works in a scratch schema.
        return self.connection.execute(
            f"SELECT {', '.join(columns)} FROM {DEAD_LETTERS} {where} ORDER BY projection, position"
        ).df()


def _describe(error: BaseException) -> str:
    """``ErrorType: message``, so the table says what failed without a traceback.

    For a projection's own exception (wrapped in a :class:`HandlerError`), the original.
    """
    return describe(error.error if isinstance(error, HandlerError) else error)
