"""Self-checking exercises: ``check("02-limited-order", LimitedOrder)`` runs hidden tests.

Each exercise in a notebook has an answer cell with a stub and a ``check(...)`` cell that
prints ``passed`` or the behaviour that is still wrong with a first hint
(``check(..., hint=2)`` adds a second). The reference solutions are not in this package:
they are in the repository's ``solutions/`` notebooks, the solved twins of the learner's.
"""

import importlib
import pkgutil

from cqrs_lab.exercises import aggregates, projections, read_models  # noqa: F401 (registers)
from cqrs_lab.exercises.checking import NotYet, Verdict, check, evaluate, exercises, hints

#: Modules that are machinery, not exercises.
_MACHINERY = {"checking", "fixtures", "twins"}

# Every other module in this package registers the exercises of one notebook when imported
# (one module per notebook or topic, so adding exercises never edits a shared list).
for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name not in _MACHINERY:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["NotYet", "Verdict", "check", "evaluate", "exercises", "hints"]
