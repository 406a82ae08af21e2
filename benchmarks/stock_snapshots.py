"""``python -m benchmarks.stock_snapshots [RESERVATIONS] [RUNS]``: reopen a kept lab whose
lamp stock has that many reservations, with and without its snapshot file, timed.

Builds a lab in a temporary folder, reserves one lamp at a time (each reservation one
stock event), closes it, then reopens it ``RUNS`` times each way, alternating: *with* the
``snapshots.sqlite`` it kept, and *without* (the file deleted first, as a lab made before
snapshots existed). Each reopening is ``build_lab(path=...)``, which loads every product's
stock, plus one ``stock_of``. Prints JSON: medians in seconds and the stock events each
way replayed.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import UUID

from cqrs_lab.orders import build_lab
from cqrs_lab.orders.lab_folder import SNAPSHOTS_FILE
from cqrs_lab.orders.stock import Stock, stock_id_of
from cqrs_lab.write_side.kept_aggregates import KeptAggregates
from cqrs_lab.write_side.snapshot_file import SQLiteSnapshots
from cqrs_lab.write_side.snapshots import Snapshots

LAMP = "MIDNIGHT-LAMP"
STOCK = {LAMP: 10**9}


def fill(folder: Path, reservations: int) -> None:
    lab = build_lab(path=folder, stock=STOCK, record_history=False)

    async def reserve() -> None:
        for n in range(1, reservations + 1):
            await lab.inventory.reserve(UUID(int=n), LAMP, 1)

    asyncio.run(reserve())
    lab.close()


def main(reservations: int = 100_000, runs: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lab"
        fill(folder, reservations)
        kept = (folder / SNAPSHOTS_FILE).read_bytes()
        times: dict[str, list[float]] = {"with": [], "without": []}
        replayed: dict[str, int] = {}
        for _ in range(runs):
            for way in ("without", "with"):
                (folder / SNAPSHOTS_FILE).write_bytes(kept)
                if way == "without":
                    (folder / SNAPSHOTS_FILE).unlink()
                    replay_from = Snapshots()  # the counting load gets no snapshot either
                else:
                    replay_from = SQLiteSnapshots(folder / SNAPSHOTS_FILE)
                # build_lab loads every product's stock as it opens the lab
                started = time.perf_counter()
                lab = build_lab(path=folder, stock=STOCK, record_history=False)
                times[way].append(time.perf_counter() - started)
                # How many events a load from what the folder keeps replays, counted apart.
                loading = KeptAggregates(lab.inventory.store, Stock, snapshots=replay_from)
                loading.get(stock_id_of(LAMP))
                replayed[way] = loading.replayed
                assert lab.inventory.stock_of(LAMP) == STOCK[LAMP] - reservations
                lab.close()
    print(
        json.dumps(
            {
                "stock_events": reservations + 1,
                "runs": runs,
                "reopen_seconds_median": {w: statistics.median(t) for w, t in times.items()},
                "stock_events_replayed": replayed,
            }
        )
    )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
