"""The code base stays ruff-clean (lint rules in pyproject.toml)."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "ruff"
    )
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the dev extra)")
    targets = [
        p
        for p in ("cqrs_lab", "tests", "benchmarks", "notebooks", "tasks.py")
        if (ROOT / p).exists()
    ]
    result = subprocess.run([ruff, "check", *targets], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
