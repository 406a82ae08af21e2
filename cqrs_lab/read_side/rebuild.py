"""Rebuild: recompute read models from position 0, in one transaction.

Queries keep seeing the old tables until the rebuild commits. The fast path folds big
chunks without per-event checks; when a fault plan, damaged events or skipped dead letters
are in play, or the fast path fails, the careful path runs instead: it leaves skipped dead
letters out and names the projection and position of any event it cannot apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import duckdb

from cqrs_lab.breaking.damage import tampered_positions
from cqrs_lab.breaking.isolation import locate_failure
from cqrs_lab.read_side.event_filter import events_for
from cqrs_lab.read_side.handler_error import HandlerError
from cqrs_lab.read_side.projection import Projection
from cqrs_lab.write_side.collector import no_gc_pauses

if TYPE_CHECKING:
    from cqrs_lab.read_side.projector import Projector

#: Events per chunk (one transaction either way; fewer, bigger folds). The first chunk
#: folds into emptied tables, which needs no key gathering and no fetch (see
#: ``CHECK_EMPTY_FROM`` in :mod:`cqrs_lab.read_side.projection`), so a chunk holds up to a
#: million events: a million-event rebuild is one fold and one INSERT per table, for
#: about 100 MiB of rows held until it is written.
REBUILD_CHUNK = 1_000_000

Progress = Callable[[int, int], None]


def selected_projections(projector: Projector, names: Iterable[str] | None) -> list[Projection]:
    """The running projections called ``names`` (every one for None).

    Raises:
        TypeError: for a single string (``"order_summary"`` instead of ``["order_summary"]``).
        ValueError: for a name no projection of ``projector`` has.
    """
    if names is None:
        return list(projector.projections.values())
    if isinstance(names, str | bytes):
        raise TypeError(
            f"names must be a list of projection names, got the string {names!r}; "
            f"did you mean [{names!r}]?"
        )
    names = list(names)
    unknown = [name for name in names if name not in projector.projections]
    if unknown:
        raise ValueError(
            f"no running projection named {unknown}; running: {sorted(projector.projections)}"
        )
    return [projector.projections[name] for name in names or projector.projections]


def rebuild(
    projector: Projector, names: Iterable[str] | None = None, on_progress: Progress | None = None
) -> int:
    """Recompute ``names`` (default: every projection) from position 0; returns events read."""
    selected = selected_projections(projector, names)
    careful = (
        projector.faults is not None
        or bool(tampered_positions(projector.event_store))
        or any(projector.dead_letters.skipped(p.name) for p in selected)
    )
    try:
        total = rebuild_from_zero(projector, selected, on_progress, careful)
    except Exception:
        if careful:
            raise
        # Rolled back; the careful path fails again, but with an error naming the culprit.
        total = rebuild_from_zero(projector, selected, on_progress, careful=True)
    # A stopped projection's poison event was applied by this rebuild: it runs again.
    chosen = {p.name for p in selected}
    letters = projector.dead_letters
    stopped = [k for k, s in letters.open.items() if s == "stopped" and k[0] in chosen]
    letters.set_status(stopped, "resolved")
    return total


def rebuild_from_zero(
    projector: Projector, selected: list[Projection], on_progress: Progress | None, careful: bool
) -> int:
    """One transaction: clear ``selected``, fold every event into them, set checkpoints."""
    source = projector.source
    total = source.head
    try:
        with no_gc_pauses(), projector.transaction() as con:
            for projection in selected:
                projection.clear(con)
            projector.set_checkpoints(selected, 0, backwards=True)
            done = 0
            while done < total:
                # One transaction anyway: big chunks amortise each SELECT and upsert.
                chunk = max(projector.batch_size or 0, REBUILD_CHUNK)
                batch = list(source.read_all(after=done, limit=min(chunk, total - done)))
                if careful:
                    projector.apply_events(
                        selected, batch, dict.fromkeys(projector.projections, done)
                    )
                else:
                    _fold(projector, con, selected, batch)
                done = batch[-1].position
                if on_progress:
                    on_progress(done, total)
    except HandlerError as error:
        if not careful or len(error.events) == 1:
            raise
        raise _located(projector, error) from error.error
    if total:
        projector.notify(selected, 1, total)
    return total


def _fold(
    projector: Projector, con: duckdb.DuckDBPyConnection, selected: list[Projection], batch
) -> None:
    """Apply a chunk on the fast path: every checkpoint is behind the whole chunk, so only
    the event types need filtering, and that is decided once per type."""
    kinds = {type(r.event) for r in batch}
    for projection in selected:
        if wanted := events_for(projection, batch, kinds):
            projection.apply_batch(con, wanted)
    projector.set_checkpoints(selected, batch[-1].position)


def _located(projector: Projector, error: HandlerError) -> HandlerError:
    """The one event of a failed rebuild chunk that fails, replayed on a cleared table."""
    projection = projector.projections[error.projection]
    first = error.events[0].position

    def replay_before(con: duckdb.DuckDBPyConnection) -> None:
        projection.clear(con)
        done = 0
        while done < first - 1:
            batch = list(
                projector.source.read_all(after=done, limit=min(REBUILD_CHUNK, first - 1 - done))
            )
            projector.apply_events([projection], batch, {projection.name: done}, checkpoint=False)
            done = batch[-1].position

    return locate_failure(projector, error, replay_before)
