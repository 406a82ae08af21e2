"""The pre-flight checks say OK on this machine and name what to fix on a broken one."""

from __future__ import annotations

import importlib.metadata as metadata

from cqrs_lab import preflight


def test_python_older_than_3_11_is_named_with_the_fix():
    assert preflight.python_version((3, 11)) == ["OK Python is 3.11 or newer"]
    [line] = preflight.python_version((3, 10))
    assert line.startswith("FIX Python is 3.10: install Python 3.11+")


def test_a_package_at_another_version_than_its_pin_is_named(tmp_path):
    constraints = tmp_path / "constraints.txt"
    have = metadata.version("duckdb")
    constraints.write_text(f"# pins\nduckdb==0.0.1\npydantic=={metadata.version('pydantic')}\n")
    [line] = preflight.pinned_packages(constraints)
    assert line.startswith(
        f"FIX versions differ from constraints.txt: duckdb {have} (pinned 0.0.1)"
    )
    constraints.write_text(f"duckdb=={have}\n")
    assert preflight.pinned_packages(constraints) == [
        "OK every installed package matches constraints.txt"
    ]


def test_a_missing_constraints_file_is_a_fix(tmp_path):
    [line] = preflight.pinned_packages(tmp_path / "constraints.txt")
    assert line.startswith("FIX no constraints.txt found")


def test_the_summary_names_the_first_fix(tmp_path):
    lines = preflight.run_all(tmp_path / "constraints.txt")
    assert lines[-1].startswith("NOT READY: FIX no constraints.txt found")
    assert preflight.run_all()[-1] == "READY: you can start the workshop"
