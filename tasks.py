#!/usr/bin/env python3
"""Set up and run cqrs_lab with nothing but Python 3.11+ (no make, no conda needed).

    python3 tasks.py lab        set up .venv and open JupyterLab on notebooks/
    python3 tasks.py test       set up .venv and run every test (unit, notebooks, browser)
    python3 tasks.py notebooks [NAME ...]
                                re-execute every notebook in place (refresh stored outputs),
                                or only those whose file name contains a NAME (e.g. 09)
    python3 tasks.py exercises [NAME ...]
                                regenerate the learner notebooks from their solved twins in
                                solutions/ (stubs instead of solutions) and re-execute both
    python3 tasks.py wheelhouse collect every pinned wheel into wheelhouse/ (offline install)
    python3 tasks.py postgres [--port N]
                                start a private PostgreSQL server, print its DSN, and keep
                                it until Ctrl-C (its data is deleted then)
    python3 tasks.py bench      run the benchmarks (installs the benchmark-only extra)
    python3 tasks.py bench --postgres [--quick]
                                the durable-store benchmarks on a private PostgreSQL
    python3 tasks.py lock       re-resolve dependencies and rewrite constraints.txt

Setup is idempotent: it creates .venv once and installs the project with the versions
pinned in constraints.txt, so stored notebook outputs match what you run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
CONSTRAINTS = ROOT / "constraints.txt"


def run(*args: object, **kwargs) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def setup(extras: str = "dev", pinned: bool = True) -> None:
    """Create .venv if needed and install the project with ``extras``."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this file runs before any venv exists)
        sys.exit(f"cqrs_lab needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        venv.create(VENV, with_pip=True)
    pins = ["-c", CONSTRAINTS] if pinned and CONSTRAINTS.exists() else []
    run(
        PY,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        *pins,
        "-e",
        f".[{extras}]",
    )


def lab() -> None:
    setup()
    run(PY, "-m", "jupyter", "lab", "--notebook-dir", ROOT / "notebooks", *sys.argv[2:])


def test() -> None:
    setup()
    run(PY, "-m", "pytest", *sys.argv[2:])


def notebooks() -> None:
    setup()
    wanted = sys.argv[2:]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if wanted and not any(name in notebook.name for name in wanted):
            continue
        _execute(notebook)


def _drop_run_timestamps(notebook: Path) -> None:
    """Remove the per-cell execution timestamps nbconvert records: they change every run
    and would turn each re-execution into a diff of every cell."""
    import json

    content = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in content["cells"]:
        cell.get("metadata", {}).pop("execution", None)
    notebook.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def exercises() -> None:
    """Solved twins are the source: execute solutions/NN, derive notebooks/NN, execute it."""
    setup()
    wanted = sys.argv[2:]
    for solved in sorted((ROOT / "solutions").glob("*.ipynb")):
        if wanted and not any(name in solved.name for name in wanted):
            continue
        _execute(solved)
        run(PY, "-m", "cqrs_lab.exercises.twins", ROOT, solved.name)
        _execute(ROOT / "notebooks" / solved.name)


def _execute(notebook: Path) -> None:
    run(
        PY,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--inplace",
        "--ExecutePreprocessor.timeout=300",
        notebook,
    )
    _drop_run_timestamps(notebook)


def wheelhouse() -> None:
    """Download every pinned wheel (and the build tools) into wheelhouse/ for a room
    without network: ``pip install --no-index --find-links wheelhouse -c constraints.txt
    -e ".[dev]"`` then installs from it."""
    setup()
    target = ROOT / "wheelhouse"
    run(
        PY,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--dest",
        target,
        "-c",
        CONSTRAINTS,
        ".[dev]",
        "setuptools>=68",
        "wheel",
    )
    print(f"wheelhouse ready: {len(list(target.iterdir()))} files in {target.name}/")


def postgres() -> None:
    setup()
    command = [str(PY), "-m", "cqrs_lab.write_side.postgres_server", *sys.argv[2:]]
    print("+", " ".join(command), flush=True)
    server = subprocess.Popen(command, cwd=ROOT)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.terminate()  # on SIGTERM it stops PostgreSQL and deletes the data
        server.wait()
    print("PostgreSQL stopped.")


def bench() -> None:
    setup("dev,bench")
    args = sys.argv[2:]
    if "--postgres" in args:  # issue 17's targets: PostgreSQL appends, catch-up, reopening
        args.remove("--postgres")
        run(PY, "-m", "benchmarks.postgres", *args)
        return
    run(PY, "-m", "benchmarks", *args)


def lock() -> None:
    setup("dev,bench", pinned=False)
    frozen = subprocess.run(
        [str(PY), "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in frozen.splitlines() if line and not line.startswith("-e ")]
    CONSTRAINTS.write_text(
        "# Exact versions the stored notebook outputs were made with (python3 tasks.py lock).\n"
        + "\n".join(lines)
        + "\n"
    )
    print(f"wrote {len(lines)} pins to {CONSTRAINTS.name}")


COMMANDS = {
    "lab": lab,
    "test": test,
    "notebooks": notebooks,
    "exercises": exercises,
    "wheelhouse": wheelhouse,
    "postgres": postgres,
    "bench": bench,
    "lock": lock,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]]()
