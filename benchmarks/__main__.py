"""``python -m benchmarks [--quick] [--runs N]``: every performance figure of issue 13.

Measures what a user runs (see :mod:`benchmarks.measure`): ``build_lab()`` at its defaults
with the workload's catalogue, commands built per call from plain values and sent with
``await lab.command_bus.dispatch(...)``, then ``lab.projector.catch_up()`` at its defaults.
Nothing is tuned for the benchmark. The write path's peer runs the same workload facts
(orders, and each line's stock reserved in a per-product aggregate, released on cancel:
see :mod:`benchmarks.peer`), so its events/s and orders/s ratios are the same.

Prints a table and writes the same figures to ``benchmarks/results/<utc time>.json``.
Figures are medians of ``--runs`` runs (default 5) in this one process, except the
million-event rebuild and peak RSS, which run in a fresh subprocess. Each ratio's two sides
(write path and eventsourcing; catch-up and per-event SQL) run alternately, so a busy
moment on a shared machine slows both sides of a ratio alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import measure, peer

RESULTS = Path(__file__).parent / "results"
FULL = {"write_orders": 20_000, "catch_up_events": 250_000, "per_event_events": 10_000}
FULL |= {"big_events": 1_000_000}
QUICK = {"write_orders": 500, "catch_up_events": 20_000, "per_event_events": 1_000}
QUICK |= {"big_events": 20_000}


def run(sizes: dict, runs: int, log=print) -> dict:
    """Every measurement; returns the figures (also what goes into the JSON file)."""
    figures: dict = {"sizes": sizes, "runs": runs}
    log(f"write path: {sizes['write_orders']:,} orders through the command bus ...")
    if peer.available():
        log("  ... alternating with the same workload through eventsourcing (POPO)")
        figures["write_path"], figures["peer_write_path"] = measure.medians_interleaved(
            runs,
            lambda: measure.write_path(sizes["write_orders"]),
            lambda: measure.peer_write_path(sizes["write_orders"]),
        )
    else:
        figures["write_path"] = measure.median_of(
            runs, lambda: measure.write_path(sizes["write_orders"])
        )
    log(
        f"catch-up: {sizes['catch_up_events']:,} events into both read models, in turn with "
        f"the seed's per-event SQL on {sizes['per_event_events']:,} of them and with the "
        "read models' apply alone on the same events ..."
    )
    seed_lab = measure.history_lab(sizes["per_event_events"])
    figures["catch_up"], figures["per_event"], figures["apply_alone"] = measure.medians_interleaved(
        runs,
        lambda: measure.catch_up(sizes["catch_up_events"]),
        lambda: measure.per_event(seed_lab, sizes["per_event_events"]),
        lambda: measure.apply_alone(sizes["catch_up_events"]),
    )
    log(f"rebuild, set-based and peak RSS: {sizes['big_events']:,} events (fresh process) ...")
    figures["big"] = _big_history(sizes["big_events"], runs)
    figures["targets"] = targets(figures)
    figures["environment"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "machine": platform.machine(),
    }
    return figures


def _big_history(events: int, runs: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.big_history", str(events), str(runs)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


def targets(figures: dict) -> dict:
    """Issue 13's targets, each with the measured value and whether it is met.

    A ratio to the peer is None when ``eventsourcing`` (the bench extra) is missing.
    """
    write, peer_write = figures["write_path"], figures.get("peer_write_path")
    catch_up, per_event, big = figures["catch_up"], figures["per_event"], figures["big"]
    checks = {
        "write path >= 3x eventsourcing": (
            write["events_per_second"] / peer_write["events_per_second"] if peer_write else None,
            lambda x: x >= 3,
        ),
        "catch-up >= 500,000 events/s": (catch_up["events_per_second"], lambda x: x >= 500_000),
        "catch-up >= 500x per-event SQL": (
            catch_up["events_per_second"] / per_event["events_per_second"],
            lambda x: x >= 500,
        ),
        "rebuild of 1,000,000 events < 1.5 s": (
            big["rebuild"]["seconds"] if big["events"] >= 1_000_000 else None,
            lambda x: x < 1.5,
        ),
        "peak RSS with 1,000,000 events < 1 GiB": (
            big["peak_rss_mib"] if big["events"] >= 1_000_000 else None,
            lambda x: x < 1024,
        ),
    }
    judged = figures.get("sizes", FULL) == FULL  # a --quick run is too small to judge
    return {
        name: {
            "value": value,
            "met": None if value is None or not judged else bool(met(value)),
        }
        for name, (value, met) in checks.items()
    }


def verdicts(figures: dict) -> str:
    """One line per target: met, missed, or not measured (quick run, no peer)."""
    lines = []
    judged = figures["targets"] if "targets" in figures else targets(figures)
    for name, target in judged.items():
        if target["met"] is None:
            lines.append(f"  {name}: not judged (quick run, or eventsourcing not installed)")
        else:
            value = target["value"]
            shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
            lines.append(f"  {name}: {'met' if target['met'] else 'MISSED'} ({shown})")
    floor, big_floor = figures.get("apply_alone"), figures.get("big", {}).get("apply_alone")
    if floor is not None:
        lines.append(
            f"  floor: the read models' apply alone (median) runs "
            f"{floor['events_per_second']:,.0f} events/s on the catch-up's "
            f"{floor['events']:,} events: no catch-up that applies each event passes it"
        )
    if big_floor is not None:
        lines.append(
            f"  floor: apply alone (median) takes {big_floor['seconds']:.2f} s on "
            f"{big_floor['events']:,} events: no rebuild that applies each event takes less"
        )
    return "\n".join(["targets (issue 13):", *lines])


def table(figures: dict) -> str:
    """The figures as a plain-text table, one measurement per line."""
    write, catch_up, per_event = figures["write_path"], figures["catch_up"], figures["per_event"]
    big = figures["big"]
    peer_figures = figures.get("peer_write_path")
    peer_ratio = (
        f"{write['events_per_second'] / peer_figures['events_per_second']:.2f}x eventsourcing"
        if peer_figures
        else "eventsourcing not installed"
    )
    lines = [
        ("measurement", "events", "events/s", "seconds", "compared with"),
        (
            "write path (await dispatch, defaults)",
            write["events"],
            write["events_per_second"],
            write["seconds"],
            peer_ratio,
        ),
    ]
    if peer_figures:
        lines.append(
            (
                "eventsourcing POPO application",
                peer_figures["events"],
                peer_figures["events_per_second"],
                peer_figures["seconds"],
                "(peer)",
            )
        )
    lines.append(
        (
            "catch-up (defaults), both read models",
            catch_up["events"],
            catch_up["events_per_second"],
            catch_up["seconds"],
            f"{catch_up['events_per_second'] / per_event['events_per_second']:.0f}x per-event",
        )
    )
    floor = figures.get("apply_alone")
    if floor is not None:
        share = catch_up["events_per_second"] / floor["events_per_second"]
        lines.append(
            (
                "apply alone (floor: no core, no DB)",
                floor["events"],
                floor["events_per_second"],
                floor["seconds"],
                f"catch-up at {share:.0%} of it",
            )
        )
    lines += [
        (
            "per-event SQL (seed style)",
            per_event["events"],
            per_event["events_per_second"],
            per_event["seconds"],
            "(baseline)",
        ),
        (
            "rebuild, batched projector",
            big["rebuild"]["events"],
            big["rebuild"]["events_per_second"],
            big["rebuild"]["seconds"],
            "target < 1.5 s at 1M",
        ),
        (
            "rebuild, set-based SQL",
            big["set_based"]["events"],
            big["set_based"]["events_per_second"],
            big["set_based"]["seconds"],
            f"{big['set_based']['events_per_second'] / big['rebuild']['events_per_second']:.1f}x"
            " batched",
        ),
    ]
    out = []
    for name, events, rate, seconds, compared in lines:
        if isinstance(rate, str):
            out.append(f"{name:36} {events:>10} {rate:>12} {seconds:>9} {compared}")
        else:
            out.append(f"{name:36} {events:>10,} {rate:>12,.0f} {seconds:>9.3f} {compared}")
    out.append("(medians of wall-clock seconds; CPU seconds of every run are in the JSON)")
    if peer_figures:
        out.append(
            f"write path per order: ours {write['orders_per_second']:,.0f} orders/s, "
            f"eventsourcing {peer_figures['orders_per_second']:,.0f} orders/s; both store the "
            "same events (each order's 4, its 3 stock reservations, releases on cancel)"
        )
    out.append(
        f"peak RSS, {big['events']:,} events dispatched through the bus + both read models: "
        f"{big['peak_rss_mib']:.0f} MiB (target < 1024 MiB)"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (smoke test)")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 5, quick 1)")
    parser.add_argument("--output", type=Path, help="JSON file (default benchmarks/results/)")
    args = parser.parse_args(argv)
    runs = args.runs or (1 if args.quick else 5)
    figures = run(QUICK if args.quick else FULL, runs)
    print(table(figures))
    print(verdicts(figures))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = args.output or RESULTS / f"{'quick-' if args.quick else ''}{stamp}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {output}")
    return figures


if __name__ == "__main__":
    main()
