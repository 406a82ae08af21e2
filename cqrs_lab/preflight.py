"""Pre-flight checks for a workshop machine: each returns lines of ``OK ...`` or ``FIX ...``.

``notebooks/00-preflight.ipynb`` runs them first thing, so a learner finds a broken setup
before the first exercise does. Lines are fixed text (no installed versions), so the
notebook prints the same on every well-prepared machine and a strict nbval run can check it.
"""

from __future__ import annotations

import importlib.metadata as metadata
import sys
from pathlib import Path

#: Packages the notebooks import; each must be installed at its pinned version.
REQUIRED = ("pydantic", "duckdb", "pandas", "matplotlib", "ipywidgets", "jupyterlab", "nbval")
REINSTALL = "run `python3 tasks.py lab` (or `pip install -c constraints.txt -e '.[dev]'`)"


def python_version(version: tuple[int, int] = sys.version_info[:2]) -> list[str]:
    """Python 3.11 or newer."""
    if version >= (3, 11):
        return ["OK Python is 3.11 or newer"]
    return [f"FIX Python is {version[0]}.{version[1]}: install Python 3.11+ and {REINSTALL}"]


def _pins(constraints: Path) -> dict[str, str]:
    pins = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and not name.startswith("#"):
            pins[name.lower().replace("_", "-")] = version.split(";")[0].strip()
    return pins


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pinned_packages(constraints: Path) -> list[str]:
    """Every pinned package that is installed has its pinned version; the required are there."""
    if not constraints.exists():
        return [
            f"FIX no {constraints.name} found at {constraints.parent}: open the lab from a clone"
        ]
    pins = _pins(constraints)
    missing = [name for name in REQUIRED if _installed(name) is None]
    wrong = [
        f"{name} {have} (pinned {want})"
        for name, want in sorted(pins.items())
        if (have := _installed(name)) is not None and have != want
    ]
    lines = [f"FIX {name} is not installed: {REINSTALL}" for name in missing]
    if wrong:
        lines.append(f"FIX versions differ from constraints.txt: {', '.join(wrong)}; {REINSTALL}")
    return lines or ["OK every installed package matches constraints.txt"]


def duckdb_works() -> list[str]:
    """DuckDB answers a query, and a lab projects an order into it."""
    import duckdb

    if duckdb.connect().execute("SELECT 40 + 2").fetchone() != (42,):
        return ["FIX DuckDB gave a wrong answer to SELECT 40 + 2: reinstall duckdb"]
    from cqrs_lab.orders import ADA, DEMO_ADDRESS, CreateOrder, OrderItem, build_lab

    lab = build_lab()
    item = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)
    lab.dispatch(CreateOrder(customer_id=ADA, items=[item], shipping_address=DEMO_ADDRESS))
    lab.catch_up()
    if lab.read_model("order_summary").total_amount.tolist() != [249.0]:
        return ["FIX a lab could not project an order into DuckDB: " + REINSTALL]
    return ["OK DuckDB works, and a lab projects an order into it"]


def widgets_ready() -> list[str]:
    """ipywidgets 8 and its JupyterLab extension are installed, and a widget can be built."""
    import ipywidgets

    if not ipywidgets.__version__.startswith("8."):
        return [f"FIX ipywidgets is {ipywidgets.__version__}, the lab needs 8.x: {REINSTALL}"]
    if _installed("jupyterlab_widgets") is None:
        return ["FIX jupyterlab_widgets is missing, so widgets show as text: " + REINSTALL]
    slider = ipywidgets.IntSlider(value=3, min=0, max=10, description="events")
    if slider.value != 3:
        return ["FIX a widget could not be built: " + REINSTALL]
    return ["OK ipywidgets 8 and its JupyterLab extension are installed"]


def run_all(constraints: Path | None = None) -> list[str]:
    """Every check's lines, then one summary line: ready, or the first thing to fix.

    ``constraints`` defaults to the repository's ``constraints.txt`` (beside the package).
    """
    constraints = constraints or Path(__file__).resolve().parents[1] / "constraints.txt"
    lines = python_version() + pinned_packages(constraints) + duckdb_works() + widgets_ready()
    fixes = [line for line in lines if line.startswith("FIX")]
    summary = "READY: you can start the workshop" if not fixes else f"NOT READY: {fixes[0]}"
    return [*lines, summary]
