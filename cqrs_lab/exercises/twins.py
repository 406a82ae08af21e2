"""One source, two notebooks: the solved twin in ``solutions/`` makes the learner's in ``notebooks/``.

An answer cell in a solved notebook marks its reference solution the way nbgrader does::

    def ship_if_paid(order):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

The learner's notebook is the same notebook with each marked block replaced by a stub that
raises ``NotImplementedError`` (so its ``check`` cell prints "not yet"). Markers belong inside
a ``def`` or ``class`` body: a top-level stub would raise while the notebook runs.

    python -m cqrs_lab.exercises.twins [ROOT]   writes notebooks/NN-*.ipynb from solutions/NN-*.ipynb
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_REGION = re.compile(
    rf"^(?P<indent>[ \t]*){re.escape(BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(END)}[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def replace_solutions(source: str, code: str | Sequence[str] = STUB) -> str:
    """``source`` with every marked solution replaced by ``code``, at the marker's indent.

    ``code`` may also be a list with one replacement per marked block, in order (the tests
    put known wrong answers into a notebook's answer cell this way).

    Raises:
        ValueError: on unbalanced markers, or a marker that is not inside a block.
    """
    if source.count(BEGIN) != source.count(END):
        raise ValueError(f"unbalanced solution markers in:\n{source}")

    if not isinstance(code, str) and len(code) != source.count(BEGIN):
        raise ValueError(f"{len(code)} replacements for {source.count(BEGIN)} solution blocks")
    codes = iter([code] if isinstance(code, str) else code)

    def stub(match: re.Match) -> str:
        indent = match["indent"]
        if not indent:
            raise ValueError(f"a solution marker must be inside a def or class body:\n{source}")
        text = code if isinstance(code, str) else next(codes)
        return "\n".join(indent + line if line else line for line in text.splitlines())

    replaced = _REGION.sub(stub, source)
    if BEGIN in replaced or END in replaced:
        raise ValueError(f"a solution marker is out of place in:\n{source}")
    return replaced


def learner_notebook(solved: dict) -> dict:
    """The learner's version of a solved notebook: stubs instead of solutions.

    Answer cells lose their outputs (re-executing the notebook fills them in again).
    """
    learner = copy.deepcopy(solved)
    for cell in learner["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or BEGIN not in source:
            continue
        cell["source"] = replace_solutions(source).splitlines(keepends=True)
        cell["outputs"] = []
        cell["execution_count"] = None
    return learner


def write_learner_notebooks(root: Path, names: list[str] | None = None) -> list[Path]:
    """Write ``notebooks/X.ipynb`` for each ``solutions/X.ipynb`` (those matching ``names``)."""
    written = []
    for solved_path in sorted((root / "solutions").glob("*.ipynb")):
        if names and not any(name in solved_path.name for name in names):
            continue
        solved = json.loads(solved_path.read_text(encoding="utf-8"))
        target = root / "notebooks" / solved_path.name
        text = json.dumps(learner_notebook(solved), indent=1, ensure_ascii=False) + "\n"
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    for path in write_learner_notebooks(root, sys.argv[2:]):
        print("wrote", path.relative_to(root))
