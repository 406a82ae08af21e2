#!/usr/bin/env python3
"""Set up and run cqrs_lab with nothing but Python 3.11+ (no make, no conda needed).

    python3 tasks.py lab        set up .venv and open JupyterLab on notebooks/
    python3 tasks.py test       set up .venv and run every test (unit, notebooks, browser)
    python3 tasks.py notebooks [NAME ...]
                                re-execute every notebook in place (refresh stored outputs),
                                or only those whose file name contains a NAME (e.g. 09); a
                                notebook with a solved twin is remade as `exercises` does
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
    python3 tasks.py colab [--repo OWNER/NAME] [--ref REF] [--root DIR]
                                put (or refresh) the guarded install cell first in every
                                notebook of notebooks/ and solutions/, for Colab and Binder;
                                --repo records the GitHub repository in pyproject.toml

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
    """Re-execute notebooks/ in place. A notebook with a solved twin in solutions/ is remade
    from it (twin executed, learner's version regenerated and executed), so that refreshing
    every output after a library change refreshes the twins' too."""
    setup()
    wanted = sys.argv[2:]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if wanted and not any(name in notebook.name for name in wanted):
            continue
        solved = ROOT / "solutions" / notebook.name
        if solved.exists():
            _remake_twins(solved)
        else:
            _execute(notebook)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _drop_run_noise(notebook: Path) -> None:
    """Remove what changes every run without changing what a learner reads: nbconvert's
    per-cell execution timestamps, and the saved widget state, whose models get random ids
    on each run (hundreds of kilobytes of diff for the playground). Without that state a
    stored widget view would open as "Error displaying widget: model not found", so a
    widget's output keeps only its plain-text form until the cell is run; nbval never
    compares widget views (their ids are random). A cell's
    printed text is kept as one block per stream: how the kernel happened to split it into
    messages differs from run to run (nbval joins them before comparing, too)."""
    import json

    content = json.loads(notebook.read_text(encoding="utf-8"))
    content.get("metadata", {}).pop("widgets", None)
    for cell in content["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        if "outputs" in cell:
            cell["outputs"] = _joined_streams(cell["outputs"])
            for output in cell["outputs"]:
                output.get("data", {}).pop(WIDGET_VIEW, None)
    notebook.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _joined_streams(outputs: list[dict]) -> list[dict]:
    """Outputs with each run of consecutive stdout (or stderr) pieces joined into one."""
    joined: list[dict] = []
    for output in outputs:
        previous = joined[-1] if joined else {}
        if output.get("output_type") == "stream" and (
            previous.get("output_type") == "stream" and previous.get("name") == output.get("name")
        ):
            text = "".join(previous["text"]) + "".join(output["text"])
            joined[-1] = {**previous, "text": text.splitlines(keepends=True)}
        else:
            joined.append(output)
    return joined


def exercises() -> None:
    """Solved twins are the source: execute solutions/NN, derive notebooks/NN, execute it."""
    setup()
    wanted = sys.argv[2:]
    for solved in sorted((ROOT / "solutions").glob("*.ipynb")):
        if wanted and not any(name in solved.name for name in wanted):
            continue
        _remake_twins(solved)


def _remake_twins(solved: Path) -> None:
    """Execute a solved twin, derive the learner's notebook from it, execute that."""
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
        "--ExecutePreprocessor.store_widget_state=False",
        notebook,
    )
    _drop_run_noise(notebook)


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


#: Tag (and cell id) of the install cell ``colab`` puts first in every notebook.
INSTALL_TAG = "colab-install"
#: Packages the install cell pins to constraints.txt: the engines the stored outputs depend on.
COLAB_PINS = ("duckdb", "pydantic", "fastapi")
_INSTALL_CELL = """\
# Colab: install the lab when it is missing (if Colab then asks to restart the session,
# restart and run this cell again). On Binder and on your own machine the lab is installed
# already and this cell does nothing. (Made by `python3 tasks.py colab`.)
try:
    import cqrs_lab  # noqa: F401
except ModuleNotFoundError:
    %pip install --quiet "cqrs_lab[api] @ git+https://github.com/{repo}@{ref}" {pins}"""
_BADGES = ("<!-- badges:start -->", "<!-- badges:end -->")


def colab() -> None:
    """Make every notebook start on Colab and Binder: a guarded install cell, first.

    The repository lives in one place, ``[project.urls] Repository`` in pyproject.toml
    (``--repo OWNER/NAME`` sets it). The cell pip-installs the project from it at ``--ref``
    (default: the ref the cells already pin, else ``main``; a tag pins a release), with the engines pinned as in constraints.txt,
    only when ``cqrs_lab`` cannot be imported. Running it again replaces the cell, never
    adds a second; the README's badges between the badge markers are refreshed too.
    ``--root DIR`` works on a copy of the repository instead (to try it out).
    """
    import argparse
    import json
    import re
    import tomllib

    parser = argparse.ArgumentParser(prog="tasks.py colab")
    parser.add_argument("--repo", help="GitHub repository as OWNER/NAME")
    parser.add_argument("--ref", help="branch or tag to install (default: as before, or main)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository folder")
    args = parser.parse_args(sys.argv[2:])
    root = args.root.resolve()
    pyproject = root / "pyproject.toml"
    if args.repo is not None:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
            sys.exit(f"--repo must be OWNER/NAME, got {args.repo!r}")
        text = pyproject.read_text(encoding="utf-8")
        line = re.compile(r'^Repository = "[^"]*"$', re.MULTILINE)
        if not line.search(text):
            sys.exit(f"{pyproject}: no 'Repository = \"...\"' line under [project.urls]")
        url = f"https://github.com/{args.repo}"
        pyproject.write_text(line.sub(f'Repository = "{url}"', text, count=1), encoding="utf-8")
    urls = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("urls", {})
    repo = re.sub(r"^https://github\.com/|/$", "", urls.get("Repository", ""))
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        sys.exit(f"{pyproject}: [project.urls] Repository must be https://github.com/OWNER/NAME")
    pinned = dict(
        line.split("==", 1)
        for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )
    pins = " ".join(f"{name}=={pinned[name]}" for name in COLAB_PINS if name in pinned)
    notebooks = sorted([*root.glob("notebooks/*.ipynb"), *root.glob("solutions/*.ipynb")])
    ref = args.ref or _installed_ref(notebooks) or "main"
    source = _INSTALL_CELL.format(repo=repo, ref=ref, pins=pins)
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": INSTALL_TAG,
        "metadata": {"tags": [INSTALL_TAG]},
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }
    changed = 0
    for notebook in notebooks:
        content = json.loads(notebook.read_text(encoding="utf-8"))
        kept = [
            c for c in content["cells"] if INSTALL_TAG not in c.get("metadata", {}).get("tags", [])
        ]
        if (
            content["cells"]
            and kept == content["cells"][1:]
            and _same_cell(content["cells"][0], cell)
        ):
            continue  # already there: an executed cell keeps its execution count
        content["cells"] = [cell, *kept]
        text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
        notebook.write_text(text, encoding="utf-8")
        changed += 1
    print(f"install cell for github.com/{repo}@{ref}: {changed} notebooks changed")
    _refresh_badges(root / "README.md", repo, ref)


def _same_cell(found: dict, wanted: dict) -> bool:
    """The same cell but for what running it records (its execution count and outputs)."""
    return all(found.get(key) == wanted[key] for key in ("cell_type", "id", "metadata", "source"))


def _installed_ref(notebooks: list[Path]) -> str | None:
    """The ref the existing install cells pin (so a refresh without --ref keeps a pin)."""
    import json
    import re

    for notebook in notebooks:
        first = json.loads(notebook.read_text(encoding="utf-8"))["cells"][:1]
        if first and INSTALL_TAG in first[0].get("metadata", {}).get("tags", []):
            found = re.search(r'@ git\+\S+@([^"\s]+)"', "".join(first[0]["source"]))
            if found:
                return found[1]
    return None


def _refresh_badges(readme: Path, repo: str, ref: str) -> None:
    """Point the README's Colab and Binder badges (between the badge markers) at ``repo``."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    start, end = _BADGES
    if start not in text or end not in text:
        print(f"{readme.name}: no {start} .. {end} markers, badges left alone")
        return
    first = "notebooks/00-welcome.ipynb"
    badges = (
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{repo}/blob/{ref}/{first})\n"
        "[![Launch Binder](https://mybinder.org/badge_logo.svg)]"
        f"(https://mybinder.org/v2/gh/{repo}/{ref}?urlpath=lab/tree/{first})"
    )
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{badges}\n{end}{after}", encoding="utf-8")


COMMANDS = {
    "lab": lab,
    "test": test,
    "notebooks": notebooks,
    "exercises": exercises,
    "wheelhouse": wheelhouse,
    "postgres": postgres,
    "bench": bench,
    "lock": lock,
    "colab": colab,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]]()
