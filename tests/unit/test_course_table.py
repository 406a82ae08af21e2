"""Notebook 00's course table lists every notebook of the course, each linked once."""

import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def linked_in_the_course_table() -> list[str]:
    welcome = json.loads((NOTEBOOKS / "00-welcome.ipynb").read_text(encoding="utf-8"))
    table = next(
        "".join(cell["source"])
        for cell in welcome["cells"]
        if "".join(cell["source"]).startswith("## The course")
    )
    return re.findall(r"\]\(([\w.-]+\.ipynb)\)", table)


def test_the_course_table_links_every_notebook_but_the_welcome_once():
    on_disk = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if p.name != "00-welcome.ipynb")
    linked = linked_in_the_course_table()
    assert sorted(linked) == on_disk
    assert linked == sorted(linked)  # in course order
