"""environment.yml must not drift from pyproject.toml, the single source of dependencies."""

import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _conda_dependencies() -> tuple[list[str], list[str]]:
    conda, pip, section = [], [], None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"^\S", line):
            section = line.split(":")[0]
        elif section == "dependencies" and (m := re.match(r"^  - (\S.*)$", line)):
            conda.append(m.group(1))
        elif section == "dependencies" and (m := re.match(r"^      - (\S.*)$", line)):
            pip.append(m.group(1))
    return [d for d in conda if d != "pip:"], pip


def test_environment_yml_lists_exactly_the_runtime_and_test_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    conda, pip = _conda_dependencies()
    assert conda == [f"python{project['requires-python']}", "pip", *wanted]
    assert pip == ["-e .[dev]"]


def test_constraints_pin_every_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        name = re.split(r"[<>=\[]", requirement)[0].lower().replace("_", "-")
        assert name in pins, f"{name} is not pinned in constraints.txt (python3 tasks.py lock)"
