"""Self-checking exercises: ``check("02-limited-order", LimitedOrder)`` runs hidden tests.

Each exercise in a notebook has an answer cell with a stub and a ``check(...)`` cell that
prints ``passed`` or the behaviour that is still wrong with a first hint
(``check(..., hint=2)`` adds a second). The reference solutions are not in this package:
they are in the repository's ``solutions/`` notebooks, the solved twins of the learner's.
"""

from cqrs_lab.exercises import aggregates, projections, read_models  # noqa: F401 (registers)
from cqrs_lab.exercises.checking import NotYet, Verdict, check, evaluate, exercises, hints

__all__ = ["NotYet", "Verdict", "check", "evaluate", "exercises", "hints"]
