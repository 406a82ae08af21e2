"""A lab kept in a folder: events in SQLite, read models in DuckDB, checked on every reopening.

``build_lab(path="labs/ada")`` keeps both halves of a lab side by side so it survives a
restart. The danger is a folder whose halves disagree (read models from another lab, or
newer than the events): queries would silently answer from events the store does not
have. So both files carry the same lab id, and a reopened lab refuses read models that are
ahead of its event store, naming both positions, instead of using them.

``reset_lab(path)`` starts a kept lab over empty. It deletes files, so it first makes sure
the folder is a lab's (its events file carries a lab id, and it holds nothing else):
pointed at the wrong folder by mistake, it refuses and deletes nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cqrs_lab.time_and_ids.clock import LAB_EPOCH, SimulatedClock
from cqrs_lab.time_and_ids.ids import SeededIds
from cqrs_lab.write_side.sqlite_event_store import SQLiteEventStore

EVENTS_FILE = "events.sqlite"
READ_MODELS_FILE = "read_models.duckdb"
STOCK_FILE = "stock.sqlite"
"""Where a lab kept in a folder keeps its stock streams (the warehouse's own store)."""
SNAPSHOTS_FILE = "snapshots.sqlite"
"""Where a lab kept in a folder keeps its stock snapshots (see ``InventoryService``)."""
LAB_FILES = (EVENTS_FILE, READ_MODELS_FILE, STOCK_FILE, SNAPSHOTS_FILE)
#: What SQLite and DuckDB write beside a database file while it is open.
COMPANION_SUFFIXES = ("", "-wal", "-shm", "-journal", ".wal")


class LabFolderMismatchError(ValueError):
    """A kept lab's read models do not match its event store; nothing was used."""


class NotALabFolderError(ValueError):
    """``reset_lab`` was given a folder that is not a kept lab's; nothing was deleted."""


@dataclass
class LabFolder:
    """The two open halves of a kept lab, and how to resume its clock and ids."""

    path: Path
    event_store: SQLiteEventStore
    read_models: duckdb.DuckDBPyConnection

    def resumed_clock(self) -> SimulatedClock:
        """A simulated clock that starts where the stored events end (never before them)."""
        head = self.event_store.head
        last = self.event_store.read_all(after=head - 1) if head else []
        return SimulatedClock(max([LAB_EPOCH, *(r.recorded_at for r in last)]))

    def refuse_read_models_ahead(self, checkpoints: dict[str, int]) -> None:
        """Raise if a read model has applied events the store does not hold.

        Raises:
            LabFolderMismatchError: naming the read model, its position and the store's head.
        """
        head = self.event_store.head
        ahead = {name: position for name, position in checkpoints.items() if position > head}
        if ahead:
            name, position = max(ahead.items(), key=lambda item: item[1])
            self.close()
            raise LabFolderMismatchError(
                f"{self.path / READ_MODELS_FILE}: read model {name!r} is at position "
                f"{position}, ahead of the event store {self.path / EVENTS_FILE} at head {head}; "
                f"delete {READ_MODELS_FILE} to rebuild the read models from the events"
            )

    def close(self) -> None:
        """Close both files."""
        self.read_models.close()
        self.event_store.close()


def ids_after(seed: int, head: int) -> SeededIds:
    """Seeded ids for a lab whose store already holds ``head`` events.

    An empty store (head 0) gets exactly what ``SeededIds(seed)`` draws; a store with events
    a fresh, still reproducible sequence seeded by ``seed`` and the head, so a lab reopened
    on its events never hands out an order id it used before.
    """
    if head == 0:
        return SeededIds(seed)
    digest = hashlib.sha256(f"{seed}:{head}".encode()).digest()
    return SeededIds(int.from_bytes(digest[:16], "big"))


def open_lab_folder(path: str | Path) -> LabFolder:
    """Open (or create) the kept lab in ``path``.

    Raises:
        LabFolderMismatchError: if the read models were made by another lab's events.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    events_id = _lab_id_in_events(folder / EVENTS_FILE)
    event_store = SQLiteEventStore(folder / EVENTS_FILE)
    read_models = duckdb.connect(str(folder / READ_MODELS_FILE))
    read_models.execute("CREATE TABLE IF NOT EXISTS lab (lab_id VARCHAR NOT NULL)")
    stored = read_models.execute("SELECT lab_id FROM lab").fetchone()
    if stored is None:
        read_models.execute("INSERT INTO lab VALUES (?)", [events_id])
    elif stored[0] != events_id:
        read_models.close()
        event_store.close()
        raise LabFolderMismatchError(
            f"{folder / READ_MODELS_FILE} belongs to lab {stored[0]}, but "
            f"{folder / EVENTS_FILE} holds the events of lab {events_id}; delete "
            f"{READ_MODELS_FILE} to rebuild the read models from these events"
        )
    return LabFolder(folder, event_store, read_models)


def _lab_id_in_events(events_file: Path) -> str:
    """The lab id stored beside the events (made when the file is new)."""
    database = sqlite3.connect(events_file)
    try:
        with database:
            database.execute("CREATE TABLE IF NOT EXISTS lab (lab_id TEXT NOT NULL)")
            row = database.execute("SELECT lab_id FROM lab").fetchone()
            if row is None:
                row = (str(uuid.uuid4()),)
                database.execute("INSERT INTO lab VALUES (?)", row)
    finally:
        database.close()
    return row[0]


def reset_lab(path: str | Path) -> list[str]:
    """Delete the kept lab in ``path`` (events, read models, stock), leaving the folder
    empty: ``build_lab(path=path)`` then starts a new lab there. Close the lab first.

    Returns the names of the files deleted.

    Raises:
        NotALabFolderError: naming the path, if it is not a folder that
            ``build_lab(path=...)`` made, or holds anything a lab does not; nothing is deleted.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise NotALabFolderError(f"{folder} is not a folder: there is no kept lab to reset")
    lab_files = {name + suffix for name in LAB_FILES for suffix in COMPANION_SUFFIXES}
    others = sorted(entry.name for entry in folder.iterdir() if entry.name not in lab_files)
    if others:
        raise NotALabFolderError(
            f"{folder} holds more than a lab ({', '.join(others)}); nothing was deleted: "
            "move those out first"
        )
    if not (folder / EVENTS_FILE).is_file() or _stored_lab_id(folder / EVENTS_FILE) is None:
        raise NotALabFolderError(
            f"{folder} is not a lab folder (no {EVENTS_FILE} made by build_lab(path=...)); "
            "nothing was deleted"
        )
    deleted = sorted(entry.name for entry in folder.iterdir())
    for name in deleted:
        (folder / name).unlink()
    return deleted


def _stored_lab_id(events_file: Path) -> str | None:
    """The lab id in an events file, or None if it is not a lab's (never changes the file)."""
    try:
        database = sqlite3.connect(f"{events_file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = database.execute("SELECT lab_id FROM lab").fetchone()
    except sqlite3.DatabaseError:  # not a database, or no lab table
        return None
    finally:
        database.close()
    return None if row is None else row[0]
