"""Snapshots kept in a SQLite file, so a lab reopened from its folder restores them.

A lab kept in a folder (``build_lab(path=...)``) reopens with nothing in memory: without a
snapshot on disk, the first load of each product's stock replays its whole stream, 100,000
reservations for a best-seller. :class:`SQLiteSnapshots` keeps each aggregate's newest
snapshot in ``snapshots.sqlite`` beside the events.

The state is stored as JSON, never pickled: opening a file must not run code. JSON has no
UUIDs and only string keys, so a UUID is written as ``{"uuid": "..."}``, a dict keyed by
UUIDs as ``{"by_uuid": {"...": value}}`` and any other dict as
``{"items": [[key, value], ...]}``; a state holding anything else (an enum, a model) is
refused when the snapshot is taken, naming the type, and that aggregate simply has no
snapshot on disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

from cqrs_lab.write_side.snapshots import Snapshot, Snapshots

_PLAIN = (type(None), bool, int, float, str)


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data (UUIDs and dicts tagged). Raises TypeError otherwise."""
    if type(value) in _PLAIN:
        return value
    if type(value) is UUID:
        return {"uuid": str(value)}
    if type(value) is dict:
        if all(type(k) is UUID for k in value):  # reservations per order: the big one
            return {"by_uuid": {str(k): encode(v) for k, v in value.items()}}
        return {"items": [[encode(k), encode(v)] for k, v in value.items()]}
    if type(value) is list:
        return [encode(v) for v in value]
    raise TypeError(f"a snapshot on disk cannot hold a {type(value).__name__} ({value!r})")


def decode(data: Any) -> Any:
    """The value :func:`encode` made ``data`` from."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if "uuid" in data:
            return UUID(data["uuid"])
        if "by_uuid" in data:
            return {UUID(k): decode(v) for k, v in data["by_uuid"].items()}
        return {decode(k): decode(v) for k, v in data["items"]}
    return data


class SQLiteSnapshots(Snapshots):
    """The newest snapshot per aggregate, in a SQLite file (created if missing).

    Each call opens the file and closes it again: snapshots are written once per
    ``every`` events and read once per aggregate after a restart, so there is no
    connection to keep or close.
    """

    every = 1_000
    """A snapshot on disk costs a JSON dump of the state (5 MB for 100,000 reservations):
    take one every 1,000 events, and a reopened lab replays fewer than 1,000 per stock."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        """The file."""
        self._lock = threading.Lock()
        db = self._connect()
        try:
            with db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS snapshots (aggregate_id TEXT PRIMARY KEY, "
                    "version INTEGER NOT NULL, state_version INTEGER NOT NULL, "
                    "last_event TEXT NOT NULL, state TEXT NOT NULL)"
                )
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def latest(self, aggregate_id: UUID) -> Snapshot | None:
        with self._lock:
            db = self._connect()
            try:
                row = db.execute(
                    "SELECT version, state_version, last_event, state FROM snapshots "
                    "WHERE aggregate_id = ?",
                    (str(aggregate_id),),
                ).fetchone()
            finally:
                db.close()
        if row is None:
            return None
        version, state_version, last_event, state = row
        state = decode(json.loads(state))
        return Snapshot(aggregate_id, version, state_version, state, last_event)

    def keep(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` in the file. Raises TypeError for a state JSON cannot hold."""
        state = json.dumps(encode(snapshot.state))
        row = (str(snapshot.aggregate_id), snapshot.version, snapshot.state_version)
        with self._lock:
            db = self._connect()
            try:
                with db:
                    db.execute(
                        "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)",
                        (*row, snapshot.last_event, state),
                    )
            finally:
                db.close()

    def __len__(self) -> int:
        with self._lock:
            db = self._connect()
            try:
                return db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
            finally:
                db.close()
