"""``python -m benchmarks.profile [write|catch_up|rebuild] [SIZE]``: where a benchmark's time goes.

Runs one measurement of :mod:`benchmarks.measure` (the write path for SIZE orders, a
catch-up of SIZE events into a fresh lab at defaults, or a rebuild of such a lab) and
reports three things:

1. ``cProfile``'s functions that take the most time, over the timed step only (building
   the history a catch-up reads is not part of it);
2. for ``catch_up`` and ``rebuild``, the time per event of each stage, measured without
   the profiler: per projection its load (the SELECT of stored rows), its fold (``apply``
   per event: the read model's own code plus the base class's loop) and its write (the
   INSERT and upsert), and around them reading events, filtering them by type, moving
   checkpoints and the rest of the transaction;
3. how much of the wall time the cyclic garbage collector took, per generation
   (``gc.callbacks``): a full collection walks every live object, and a lab that holds
   hundreds of thousands of events makes each one expensive;
4. for ``write``, how many objects the collector tracks per stored event once the workload
   is in (what each full collection walks: the in-memory store untracks the events it
   keeps, so this counts what else a stored order leaves behind).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from benchmarks import measure
from cqrs_lab.read_side import projector as projector_module
from cqrs_lab.read_side import rebuild as rebuild_module


class CollectorClock:
    """Seconds and counts of the garbage collector's runs, per generation."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.runs = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        self.seconds[generation] += time.perf_counter() - self._started
        self.runs[generation] += 1


class StageClock:
    """Wall and CPU seconds per stage of the projector's work, added up over a run.

    CPU seconds are the process's (DuckDB's threads included): on a shared machine they
    say what a stage costs, wall seconds what it took.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def add(self, stage: str, spent: tuple[float, float]) -> None:
        wall, cpu = self.seconds.setdefault(stage, [0.0, 0.0])
        self.seconds[stage] = [wall + spent[0], cpu + spent[1]]

    def timed(self, stage: str, function: Callable) -> Callable:
        """``function``, adding its run time to ``stage``."""

        def run(*args, **kwargs):
            start = _now()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(stage, _since(start))

        return run

    def steps(self, name: str, fold_in_steps: Callable) -> Callable:
        """A projection's ``fold_in_steps``, timing its first step as its load, its last
        as its write and the ones between as its fold."""

        def run(con, batch):
            steps = fold_in_steps(con, batch)
            stage = "load"
            while True:
                start = _now()
                try:
                    next(steps)
                except StopIteration:
                    self.add(f"{name}: write", _since(start))
                    return
                self.add(f"{name}: {stage}", _since(start))
                stage = "fold"
                yield

        return run

    @contextmanager
    def installed(self, lab) -> Iterator[None]:
        """Time ``lab``'s projector while the block runs (its attributes restored after)."""
        projector = lab.projector
        patched = [(projector, "_deliver"), (projector, "set_checkpoints")]
        patched += [(p, "fold_in_steps") for p in projector.projections.values()]
        modules = [(projector_module, "events_for"), (rebuild_module, "events_for")]
        saved = [(obj, attr, getattr(obj, attr)) for obj, attr in patched + modules]
        stage_of = {"_deliver": "read events", "set_checkpoints": "checkpoints"}
        try:
            for obj, attr in patched:
                if attr == "fold_in_steps":
                    setattr(obj, attr, self.steps(obj.name, getattr(obj, attr)))
                else:
                    setattr(obj, attr, self.timed(stage_of[attr], getattr(obj, attr)))
            for module, attr in modules:
                setattr(module, attr, self.timed("filter by type", getattr(module, attr)))
            yield
        finally:
            for obj, attr, value in saved:
                if isinstance(obj, type(sys)):
                    setattr(obj, attr, value)
                else:  # an object: drop the timed method set on it, its class's shows again
                    delattr(obj, attr)

    def report(self, events: int, seconds: float, cpu: float) -> None:
        """Print each stage in us/event (wall and CPU), the rest of the run as "other"."""
        rest = ["other", [seconds, cpu]]
        for wall_cpu in self.seconds.values():
            rest[1] = [rest[1][0] - wall_cpu[0], rest[1][1] - wall_cpu[1]]
        print(f"\n{'stage':<32}{'us/event':>10}{'CPU us/event':>14}{'CPU share':>11}")
        for stage, (wall, stage_cpu) in [*self.seconds.items(), rest]:
            per_event = wall / events * 1e6
            print(
                f"{stage:<32}{per_event:>10.2f}{stage_cpu / events * 1e6:>14.2f}"
                f"{stage_cpu / cpu:>11.0%}"
            )
        print(f"{'total':<32}{seconds / events * 1e6:>10.2f}{cpu / events * 1e6:>14.2f}")


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def prepared(which: str, size: int) -> tuple[object, Callable[[], int]]:
    """``(lab, step)``: a lab ready for the measurement (built untimed) and the timed step,
    which returns the events it handled."""
    if which == "write":
        return None, lambda: measure.write_path(size)["events"]
    lab = measure.history_lab(size)
    if which == "rebuild":
        lab.projector.catch_up()
        return lab, lab.projector.rebuild
    return lab, lab.projector.catch_up


def tracked_per_stored_event(orders: int) -> float:
    """Objects the collector tracks after dispatching ``orders`` workload orders into a
    fresh lab, minus those it tracked before, per event stored."""
    lab = measure.workload_lab()
    opening = measure.stored_events(lab)
    gc.collect()
    before = len(gc.get_objects())
    asyncio.run(measure.dispatch_workload(lab, orders))
    gc.collect()
    return (len(gc.get_objects()) - before) / (measure.stored_events(lab) - opening)


def main(which: str, size: int) -> None:
    lab, step = prepared(which, size)
    gc.collect()
    profiler = cProfile.Profile()
    profiler.runcall(step)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    if lab is not None:
        lab, step = prepared(which, size)
        stages = StageClock()
        gc.collect()
        with stages.installed(lab):
            start, cpu = time.perf_counter(), time.process_time()
            events = step()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        stages.report(events, seconds, cpu)
        print(f"{which}: {events:,} events in {seconds:.2f} s wall, {cpu:.2f} s CPU")
    lab, step = prepared(which, size)
    clock = CollectorClock()
    gc.collect()
    gc.callbacks.append(clock)
    try:
        start = time.perf_counter()
        events = step()
        seconds = time.perf_counter() - start
    finally:
        gc.callbacks.remove(clock)
    print(f"{which}: {events:,} events in {seconds:.2f} s wall (collector watched)")
    for generation in range(3):
        print(
            f"  gc generation {generation}: {clock.runs[generation]:>5} runs, "
            f"{clock.seconds[generation]:.2f} s"
        )
    if which == "write":
        tracked = tracked_per_stored_event(size)
        print(f"objects the collector tracks: {tracked:.2f} per stored event")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "write",
        int(sys.argv[2]) if len(sys.argv) > 2 else 20_000,
    )
