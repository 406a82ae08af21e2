"""Nobody imports another module's ``_private`` names: each module's inside stays its own."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def imported_private_names(source: str) -> list[str]:
    names = []
    for statement in re.findall(
        r"^from\s+cqrs_lab[\w.]*\s+import\s+(?:\([^)]*\)|[^\n]*)", source, re.M
    ):
        imported = re.sub(r"#[^\n]*", "", statement.split(" import ", 1)[1]).strip("() \n")
        for part in imported.split(","):
            name = part.strip().split(" as ")[0].strip()
            if name.startswith("_") and not name.startswith("__"):
                names.append(name)
    return names


def test_no_module_imports_another_modules_private_names():
    offenders = {}
    for path in [*ROOT.glob("cqrs_lab/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        if found := imported_private_names(path.read_text()):
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_the_check_sees_a_private_import():
    source = (
        "from cqrs_lab.read_side.time_travel import (\n    Public,  # a note\n    _StoreUpTo,\n)\n"
    )
    assert imported_private_names(source) == ["_StoreUpTo"]
