"""`python3 tasks.py colab`: one guarded install cell, first in every notebook, on a copy.

The command runs on a copy of the repository's notebooks (``--root``), never on the real
ones: the integrator runs it once, then re-executes everything.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from cqrs_lab.exercises.twins import learner_notebook, write_learner_notebooks

ROOT = Path(__file__).resolve().parents[2]


def _tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "constraints.txt", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("notebooks", "solutions"):
        (tmp_path / folder).mkdir()
        for notebook in sorted((ROOT / folder).glob("*.ipynb"))[:3]:
            shutil.copy(notebook, tmp_path / folder / notebook.name)
    return tmp_path


def _colab(monkeypatch, root: Path, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["tasks.py", "colab", "--root", str(root), *args])
    _tasks().colab()


def _notebooks(root: Path) -> dict[str, dict]:
    paths = [*root.glob("notebooks/*.ipynb"), *root.glob("solutions/*.ipynb")]
    return {str(p.relative_to(root)): json.loads(p.read_text(encoding="utf-8")) for p in paths}


def test_every_notebook_starts_with_one_install_cell_naming_the_repository(monkeypatch, copy):
    before = _notebooks(copy)
    _colab(monkeypatch, copy, "--repo", "ada-lovelace/cqrs_lab")
    after = _notebooks(copy)
    assert len(after) == 6
    for name, notebook in after.items():
        first = notebook["cells"][0]
        assert first["metadata"]["tags"] == ["colab-install"], name
        assert "git+https://github.com/ada-lovelace/cqrs_lab@main" in "".join(first["source"])
        others = [
            c for i, c in enumerate(before[name]["cells"]) if i not in _install_cells(before[name])
        ]
        assert notebook["cells"][1:] == others, name  # nothing else changed
    assert 'Repository = "https://github.com/ada-lovelace/cqrs_lab"' in (
        copy / "pyproject.toml"
    ).read_text(encoding="utf-8")


def test_running_it_again_changes_nothing_and_a_pinned_ref_is_kept(monkeypatch, copy):
    _colab(monkeypatch, copy, "--ref", "v0.1.0")
    once = {p: p.read_bytes() for p in copy.rglob("*.ipynb")}
    _colab(monkeypatch, copy)
    assert {p: p.read_bytes() for p in copy.rglob("*.ipynb")} == once
    first = _notebooks(copy)["notebooks/" + sorted(p.name for p in once)[0]]["cells"][0]
    assert "@v0.1.0" in "".join(first["source"])


def _install_cells(notebook: dict) -> list[int]:
    return [
        i
        for i, c in enumerate(notebook["cells"])
        if "colab-install" in c["metadata"].get("tags", [])
    ]


def test_the_twins_generator_keeps_exactly_one_install_cell_first(monkeypatch, copy):
    """`python3 tasks.py exercises` rewrites notebooks/NN from solutions/NN: the learner's
    notebook must come out with the solved twin's install cell, once, first."""
    _colab(monkeypatch, copy)
    written = write_learner_notebooks(copy)
    assert written
    for learner_path in written:
        solved = json.loads((copy / "solutions" / learner_path.name).read_text(encoding="utf-8"))
        learner = json.loads(learner_path.read_text(encoding="utf-8"))
        assert _install_cells(solved) == _install_cells(learner) == [0], learner_path.name
        assert learner["cells"][0] == solved["cells"][0]
    twice = learner_notebook(learner_notebook(solved))
    assert _install_cells(twice) == [0]


def test_an_executed_notebook_keeps_its_install_cell_as_run(monkeypatch, copy):
    """After re-execution the cell has an execution count; refreshing it must not rewrite
    every notebook (or add a second cell)."""
    _colab(monkeypatch, copy)
    notebook = next(copy.glob("notebooks/*.ipynb"))
    content = json.loads(notebook.read_text(encoding="utf-8"))
    content["cells"][0]["execution_count"] = 1
    notebook.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    executed = notebook.read_bytes()
    _colab(monkeypatch, copy)
    assert notebook.read_bytes() == executed
    _colab(monkeypatch, copy, "--ref", "v0.2.0")
    refreshed = json.loads(notebook.read_text(encoding="utf-8"))
    assert _install_cells(refreshed) == [0]
    assert "@v0.2.0" in "".join(refreshed["cells"][0]["source"])


def test_re_execution_drops_the_widget_state_its_views_and_the_timestamps(tmp_path):
    """Widget models get random ids every run: their saved state would be a diff each time."""
    notebook = tmp_path / "n.ipynb"
    cell = {"cell_type": "code", "id": "a", "metadata": {"execution": {"t": 1}, "tags": ["x"]}}
    view = {"model_id": "4f3c", "version_major": 2, "version_minor": 0}
    data = {
        "text/plain": ["Button(description='Go')"],
        "application/vnd.jupyter.widget-view+json": view,
    }
    widget = {"data": data, "metadata": {}, "output_type": "display_data"}
    notebook.write_text(
        json.dumps(
            {
                "cells": [{**cell, "execution_count": 1, "outputs": [widget], "source": ["1"]}],
                "metadata": {"kernelspec": {"name": "python3"}, "widgets": {"state": {}}},
            }
        ),
        encoding="utf-8",
    )
    _tasks()._drop_run_noise(notebook)
    content = json.loads(notebook.read_text(encoding="utf-8"))
    assert content["metadata"] == {"kernelspec": {"name": "python3"}}
    assert content["cells"][0]["metadata"] == {"tags": ["x"]}
    # Without its model the view would open as "model not found": the text stays.
    assert content["cells"][0]["outputs"][0]["data"] == {"text/plain": ["Button(description='Go')"]}


def _stream(name: str, *text: str) -> dict:
    return {"name": name, "output_type": "stream", "text": list(text)}


def test_printed_text_is_stored_as_one_block_however_the_kernel_split_it():
    """`print(type(e).__name__, "-", e)` arrives in one message or in two, run by run."""
    result = {"data": {"text/plain": ["3"]}, "metadata": {}, "output_type": "execute_result"}
    outputs = [
        _stream("stdout", "WriteModelAccessError"),
        _stream("stdout", " - must read the read model\n", "next line\n"),
        _stream("stderr", "a warning\n"),
        _stream("stdout", "after\n"),
        result,
        _stream("stdout", "last\n"),
    ]
    assert _tasks()._joined_streams(outputs) == [
        _stream("stdout", "WriteModelAccessError - must read the read model\n", "next line\n"),
        _stream("stderr", "a warning\n"),
        _stream("stdout", "after\n"),
        result,
        _stream("stdout", "last\n"),
    ]


class _Shell:
    """Stands in for IPython: records the line magics the cell runs."""

    def __init__(self) -> None:
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str) -> None:
        self.magics.append((name, line))


def _run_install_cell(monkeypatch, copy, *, importable: bool) -> _Shell:
    _colab(monkeypatch, copy, "--repo", "ada-lovelace/cqrs_lab")
    cell = next(iter(_notebooks(copy).values()))["cells"][0]
    code = TransformerManager().transform_cell("".join(cell["source"]))
    shell = _Shell()
    if not importable:
        monkeypatch.setitem(sys.modules, "cqrs_lab", None)  # import now fails as on Colab
    exec(compile(code, "<install cell>", "exec"), {"get_ipython": lambda: shell})
    return shell


def test_the_install_cell_does_nothing_where_the_lab_imports(monkeypatch, copy):
    assert _run_install_cell(monkeypatch, copy, importable=True).magics == []


def test_the_install_cell_pip_installs_the_pinned_project_where_it_is_missing(monkeypatch, copy):
    [(magic, line)] = _run_install_cell(monkeypatch, copy, importable=False).magics
    pins = dict(
        row.split("==", 1)
        for row in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in row
    )
    assert magic == "pip"
    assert '"cqrs_lab[api] @ git+https://github.com/ada-lovelace/cqrs_lab@main"' in line
    assert f"duckdb=={pins['duckdb']}" in line and f"pydantic=={pins['pydantic']}" in line


def test_a_malformed_repository_is_refused_naming_it(monkeypatch, copy):
    with pytest.raises(SystemExit, match="--repo must be OWNER/NAME, got 'not a repo'"):
        _colab(monkeypatch, copy, "--repo", "not a repo")
