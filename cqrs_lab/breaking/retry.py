"""Retrying dead letters after the fix, without ever losing one.

A stopped projection resumes at the event that stopped it. A skipped event sits in the
middle of its read model, so that projection is rebuilt with it, in one transaction: if
the event still fails, nothing changes but the attempt count. While the retry runs the
letters are marked ``retrying`` (so the rebuild includes them); whatever happens, a
failure, a crash or Ctrl-C, every letter that was not applied is put back as it was, so
it stays counted in ``Lag`` and can be retried again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cqrs_lab.read_side.projector import Projector


def retry_dead_letters(projector: Projector) -> int:
    """Try every open dead letter of ``projector`` again; returns how many now apply."""
    letters = projector.dead_letters
    waiting = dict(letters.open)
    if not waiting:
        return 0
    rebuilt: set[str] = set()  # projections whose rebuild with their skipped events committed
    letters.set_status(list(waiting), "retrying")
    try:
        for name in sorted({name for (name, _), status in waiting.items() if status == "skipped"}):
            try:
                projector.rebuild([name])
                rebuilt.add(name)
            except Exception as error:
                # Rolled back: this projection's skipped events stay skipped, one more attempt
                # for the event that failed (or for each suspect, if the error has no position).
                keys = [k for k, s in waiting.items() if s == "skipped" and k[0] == name]
                letters.set_status(keys, "skipped")
                position = getattr(error, "position", None)
                for _, failed_at in [(name, position)] if position else keys:
                    [failed] = projector.source.read_all(after=failed_at - 1, limit=1)
                    letters.record(name, failed, error, "skipped", projector.clock.now())
        projector.catch_up()
    finally:
        # Resolved: no longer failing and applied (its projection is past it, and a skipped
        # one was rebuilt with it). Anything else goes back to its old status.
        checkpoints = projector.checkpoints()
        resolved = [
            (name, position)
            for (name, position), status in waiting.items()
            if (name, position) not in letters.open
            and checkpoints.get(name, 0) >= position
            and (status == "stopped" or name in rebuilt)
        ]
        letters.set_status(resolved, "resolved")
        for status in ("skipped", "stopped"):
            again = [k for k, s in waiting.items() if s == status]
            again = [k for k in again if k not in resolved and k not in letters.open]
            letters.set_status(again, status)
    return len(resolved)
