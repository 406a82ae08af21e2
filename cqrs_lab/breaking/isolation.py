"""Isolating a poison event: which event of a failed batch is it, and what happens next.

A batch fails as a whole (one transaction), but a dead letter and an error message must
name one event. Two ways to find it, both used only after a failure:

- :func:`locate_failure` (policy ``"raise"``): replay the batch in a transaction that is
  always rolled back, a chunk and then an event at a time, and report the first event
  that fails. Nothing is committed.
- :func:`isolate` (policies ``"stop"`` and ``"skip"``): apply the batch again one event
  per transaction, so the good events commit and the poison one is recorded in the
  dead-letter table; the projector then goes on past it (skip) or stops before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

import duckdb

from cqrs_lab.read_side.handler_error import HandlerError
from cqrs_lab.read_side.projection import Projection
from cqrs_lab.write_side.event_store import RecordedEvent

if TYPE_CHECKING:
    from cqrs_lab.read_side.projector import Projector

Prepare = Callable[[duckdb.DuckDBPyConnection], None]


class _RollBack(Exception):
    """Ends a probing transaction: it must never commit."""


def locate_failure(
    projector: Projector, error: HandlerError, prepare: Prepare | None = None
) -> HandlerError:
    """``error`` narrowed to the one event that fails (``error`` itself if none fails alone).

    ``prepare`` puts the tables in the state the batch started from (nothing to do for an
    incremental batch: a rolled-back transaction starts at the checkpoint).
    """
    projection = projector.projections[error.projection]
    events = error.events
    size = max(1, math.isqrt(len(events)))
    chunks = [events[i : i + size] for i in range(0, len(events), size)]
    found = _first_failing(projector, projection, prepare, [], chunks)
    if found is None:
        return error
    index, _ = found
    good = [recorded for chunk in chunks[:index] for recorded in chunk]
    found = _first_failing(projector, projection, prepare, good, [[r] for r in chunks[index]])
    if found is None:
        return error
    position, cause = found
    located = HandlerError(projection.name, [chunks[index][position]], cause)
    located.__cause__ = cause
    return located


def _first_failing(
    projector: Projector,
    projection: Projection,
    prepare: Prepare | None,
    good: list[RecordedEvent],
    trials: list[list[RecordedEvent]],
) -> tuple[int, Exception] | None:
    """In a transaction that is rolled back: apply ``good``, then each trial in turn;
    returns the index of the first trial that raises, with its error."""
    result = None
    with suppress(_RollBack):
        with projector.transaction() as con:
            try:
                if prepare is not None:
                    prepare(con)
                if good:
                    projection.apply_batch(con, good)
            except Exception:
                raise _RollBack from None  # fails differently each time: keep the batch error
            for index, trial in enumerate(trials):
                try:
                    projection.apply_batch(con, trial)
                except Exception as error:
                    result = (index, error)
                    break
            raise _RollBack
    return result


def isolate(projector: Projector, batch: list[RecordedEvent], error: Exception) -> int:
    """A batch failed under policy stop/skip: find the event, record it, go on.

    Returns how many events were applied meanwhile.
    """
    if len(batch) > 1:
        # Which event? Replay the batch one event per transaction to isolate it.
        done = 0
        for _ in batch:
            if not (applied := projector.step(1)):
                break
            done += applied
        return done
    name = getattr(error, "projection", None)
    if name is None:
        raise error  # not an event's fault (e.g. the checkpoint write): nothing to skip
    status = "skipped" if projector.dead_letter_policy == "skip" else "stopped"
    projector.dead_letters.record(name, batch[0], error, status, projector.clock.now())
    # The other projections (and, when skipping, this one) take the event without it.
    return projector.step(1)
