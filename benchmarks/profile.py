"""``python -m benchmarks.profile [write|catch_up] [SIZE]``: where a benchmark's time goes.

Runs one measurement of :mod:`benchmarks.measure` (the write path for SIZE orders, or a
catch-up of SIZE events) under ``cProfile`` and prints the functions that take the most
time, then runs it again without the profiler and prints how much of the wall time the
cyclic garbage collector took, per generation (``gc.callbacks``). The second figure is
the one the profiler cannot show: a full collection walks every live object, and a lab
that holds hundreds of thousands of events makes each one expensive.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import sys
import time

from benchmarks import measure


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


def main(which: str, size: int) -> None:
    run = {
        "write": lambda: measure.write_path(size),
        "catch_up": lambda: measure.catch_up(size),
    }[which]
    profiler = cProfile.Profile()
    profiler.runcall(run)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    clock = CollectorClock()
    gc.collect()
    gc.callbacks.append(clock)
    try:
        result = run()
    finally:
        gc.callbacks.remove(clock)
    print(f"{which}: {result['events']:,} events in {result['seconds']:.2f} s wall")
    for generation in range(3):
        print(
            f"  gc generation {generation}: {clock.runs[generation]:>5} runs, "
            f"{clock.seconds[generation]:.2f} s"
        )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "write",
        int(sys.argv[2]) if len(sys.argv) > 2 else 20_000,
    )
