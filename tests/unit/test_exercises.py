"""Every exercise is proven three ways: the reference solution passes, the untouched stub
fails, and a known wrong answer (usually the guide's own bug) fails with the hint meant for it.

Answers are taken from the notebooks themselves: the solved twin in ``solutions/`` for the
reference, the learner's notebook for the stub, and the solved twin's answer cell with its
solution blocks replaced for each wrong answer. The cell runs after the notebook's setup
cell (its imports), as in the notebook.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cqrs_lab.exercises import check, evaluate, exercises, hints
from cqrs_lab.exercises.twins import BEGIN, learner_notebook, replace_solutions

ROOT = Path(__file__).resolve().parents[2]
SOLVED = sorted((ROOT / "solutions").glob("*.ipynb"))
_CHECK = re.compile(r'^check\("(?P<id>[^"]+)", (?P<answer>.+)\)\s*$')


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _installs(cell: dict) -> bool:
    """The Colab install cell (`python3 tasks.py colab`) comes before the setup cell."""
    return "colab-install" in cell.get("metadata", {}).get("tags", [])


def _answer_cells(path: Path) -> dict[str, tuple[str, str, str]]:
    """Exercise id -> (setup cell, answer cell, answer expression), from one notebook."""
    code = [c for c in _cells(path) if c["cell_type"] == "code" and not _installs(c)]
    found = {}
    for before, cell in zip(code, code[1:]):
        if match := _CHECK.match(_source(cell)):
            found[match["id"]] = (_source(code[0]), _source(before), match["answer"])
    return found


ANSWERS = {ex_id: (path, *parts) for path in SOLVED for ex_id, parts in _answer_cells(path).items()}


def _answer(setup: str, cell: str, expression: str):
    namespace: dict = {}
    # dont_inherit: this module's `from __future__ import annotations` must not leak into
    # the cell (pydantic would then see the query's field types as unresolved strings).
    exec(compile(setup, "<setup cell>", "exec", dont_inherit=True), namespace)
    exec(compile(cell, "<answer cell>", "exec", dont_inherit=True), namespace)
    return eval(expression, namespace)


# Known wrong answers: exercise id -> [(code for each solution block, words of the verdict)].
WRONG: dict[str, list[tuple[list[str], str]]] = {
    "02-scenario": [
        (  # forgets the cancellation in the history
            [
                "oid = UUID(int=1)\n"
                "Scenario(aggregate_type).given(\n"
                "    OrderCreated(order_id=oid, customer_id=ADA, shipping_address=DEMO_ADDRESS),\n"
                ').when(lambda order: order.ship()).then_error(InvalidOperationError, match="cancelled")'
            ],
            "fails against the lab's Order",
        ),
        (  # tests the real Order whatever it is given: catches no bug
            [
                "oid = UUID(int=1)\n"
                "Scenario(Order).given(\n"
                "    OrderCreated(order_id=oid, customer_id=ADA, shipping_address=DEMO_ADDRESS),\n"
                '    OrderCancelled(order_id=oid, reason="late"),\n'
                ").when(lambda order: order.ship()).then_error(InvalidOperationError)"
            ],
            "also passes for an Order that ships a cancelled order",
        ),
    ],
    "02-limited-order": [
        (  # raises the event, then checks
            [
                "super().add_item(item)\n"
                "if len(self.items) > self.MAX_LINES:\n"
                '    raise InvalidOperationError(f"an order holds at most {self.MAX_LINES} lines")'
            ],
            "still left its OrderItemAdded pending",
        )
    ],
    "02-capped-handler": [
        (  # saves, then checks
            [
                "events = await super().handle(command)\n"
                "total = sum(item.quantity * item.unit_price for item in command.items)\n"
                "if total > self.limit:\n"
                '    raise InvalidOperationError(f"over the limit of {self.limit:.2f}")\n'
                "return events"
            ],
            "the refused order was stored anyway (4 new events in the store)",
        ),
        (  # >= instead of >
            [
                "if sum(i.quantity * i.unit_price for i in command.items) >= self.limit:\n"
                '    raise InvalidOperationError(f"limit {self.limit}")\n'
                "return await super().handle(command)"
            ],
            "exactly 500.00 was refused",
        ),
    ],
    "02-event-order": [
        (  # the seed's Order.create: items first (bug 1)
            ["return seed_create_order_events(customer_id, items, shipping_address)"],
            "OrderItemAdded came before OrderCreated",
        )
    ],
    "02-order-id": [
        (  # the seed's route (bug 5)
            ["return events[0].order_id"],
            "cancels an old order and creates a new one, you answered the old, cancelled order's id",
        )
    ],
    "03-all-pages": [
        (  # the first page only
            ["return lab.query(GetOrdersByCustomer(customer_id=customer_id, page_size=page_size))"],
            "Ada has 36 orders; your answer has 20",
        )
    ],
    "02-order-as-of": [
        (  # replays the whole stream
            [
                "events = [recorded.event for recorded in lab.event_store.read_stream(order_id)]\n"
                "return Order.from_history(order_id, events)"
            ],
            "as of version 1 your order is shipped, total 428.0, at version 4",
        )
    ],
    "03-read-your-writes": [
        (  # queries before the projector ran
            ["return lab.query(GetOrderById(order_id=created_order_id(lab.dispatch(command))))"],
            "your answer is None: the read model had not seen the new order yet",
        ),
    ],
    "03-idempotent-totals": [
        (  # the seed's `total_amount + $1`: no memory of what was applied (bug 3)
            [
                "if isinstance(event, OrderCreated):\n"
                '    return {"id": event.order_id, "total_amount": 0.0, "item_count": 0, '
                '"version": event.version}\n'
                'return {**row, "total_amount": row["total_amount"] + event.quantity * '
                'event.unit_price, "item_count": row["item_count"] + 1, "version": event.version}'
            ],
            "a redelivered OrderItemAdded was applied twice: total 677.0",
        )
    ],
    "03-paged-query": [
        (  # pages counted from 0
            [
                "rows = self.db.execute(\n"
                '    "SELECT id FROM order_summary WHERE status = ? ORDER BY created_at DESC, id "\n'
                '    "LIMIT ? OFFSET ?", [query.status, query.page_size, query.page * query.page_size])\n'
                "return [row[0] for row in rows.fetchall()]"
            ],
            "page 1 lists ['order 4', 'order 3'], want the two newest pending orders",
        ),
        (  # forgets the status filter
            [
                "rows = self.db.execute(\n"
                '    "SELECT id FROM order_summary ORDER BY created_at DESC, id LIMIT ? OFFSET ?",\n'
                "    [query.page_size, (query.page - 1) * query.page_size])\n"
                "return [row[0] for row in rows.fetchall()]"
            ],
            "list orders that are not pending",
        ),
    ],
    "03-read-side-handler": [
        (  # the FORBIDDEN shortcut: the aggregate's repository
            [
                "self.orders = lab.orders",
                "return (await self.orders.get(query.order_id)).total_amount",
            ],
            "the query bus refused your handler",
        ),
        (  # the same shortcut, hidden behind the lab
            [
                "self.lab = lab",
                "return (await self.lab.orders.get(query.order_id)).total_amount",
            ],
            "the projector has not seen yet, your handler answered 35.25",
        ),
    ],
    "05-status-counts": [
        (  # a cancelled or shipped order still counted as pending
            [
                'row = row or {"board": "orders", "pending": 0, "cancelled": 0, "shipped": 0}\n'
                "name = {OrderCreated: 'pending', OrderCancelled: 'cancelled', "
                "OrderShipped: 'shipped'}[type(event)]\n"
                "return {**row, name: row[name] + 1}"
            ],
            "the counts are {'pending': 6, 'cancelled': 2, 'shipped': 1}",
        )
    ],
    "05-orders-per-city": [
        (  # ignores the row so far
            [
                "return event.shipping_address.city",
                'return {"city": event.shipping_address.city, "order_count": 1}',
            ],
            "3 orders to Paris and 1 to London gave {'London': 1, 'Paris': 1}",
        ),
        (  # one row per order
            [
                "return str(event.order_id)",
                'return {"city": str(event.order_id), "order_count": 1}',
            ],
            "want one row per city",
        ),
    ],
    "05-top-products": [
        (  # counts the cancelled-only product (0 units, 0.0 revenue) as a seller
            [
                "rows = self.db.execute(\n"
                '    "SELECT product_id FROM product_sales ORDER BY revenue DESC, product_id LIMIT ?",\n'
                "    [query.n]).fetchall()\n"
                "return [row[0] for row in rows]"
            ],
            "a product whose only order was cancelled is listed among the best sellers",
        ),
        (  # ranks by units instead of revenue
            [
                "rows = self.db.execute(\n"
                '    "SELECT product_id FROM product_sales WHERE units_sold > 0 "\n'
                '    "ORDER BY units_sold DESC, product_id LIMIT ?", [query.n]).fetchall()\n'
                "return [row[0] for row in rows]"
            ],
            "the top 2 by revenue are ['MIDNIGHT-LAMP', 'SILENT-KEYBOARD']",
        ),
    ],
    "05-lagging-read-models": [
        (  # the whole lab's lag (the slowest read model) for every read model
            [
                "if lab.lag().events_behind > max_events:\n"
                "    return sorted(lab.projector.checkpoints())\n"
                "return []"
            ],
            "order_summary has every event, yet your alert names it",
        ),
        (  # alerts at the threshold
            [
                "head = lab.event_store.head\n"
                "return sorted(n for n, p in lab.projector.checkpoints().items() "
                "if head - p >= max_events)"
            ],
            "threshold of 15 raised an alert",
        ),
    ],
}


def _more_wrong_answers() -> None:
    """Known wrong answers kept beside this file, one module per notebook
    (``tests/unit/wrong_answers/nbNN.py``, each with a ``WRONG`` dict of the same shape)."""
    folder = Path(__file__).resolve().parent / "wrong_answers"
    for module in sorted(folder.glob("nb*.py")):
        namespace: dict = {}
        exec(compile(module.read_text(encoding="utf-8"), str(module), "exec"), namespace)
        for exercise_id, answers in namespace["WRONG"].items():
            if exercise_id in WRONG:
                raise ValueError(f"{module.name}: wrong answers for {exercise_id} given twice")
            WRONG[exercise_id] = answers


_more_wrong_answers()


def test_every_exercise_has_a_check_cell_and_a_known_wrong_answer():
    assert len(SOLVED) >= 3
    assert set(ANSWERS) == set(exercises()) == set(WRONG)
    assert all(WRONG.values()), "every exercise needs at least one known wrong answer"


@pytest.mark.parametrize("exercise_id", sorted(ANSWERS))
def test_the_reference_solution_passes(exercise_id):
    _, setup, cell, expression = ANSWERS[exercise_id]
    assert BEGIN in cell
    verdict = evaluate(exercise_id, _answer(setup, cell, expression))
    assert verdict.passed, str(verdict)
    assert str(verdict) == f"{exercise_id}: passed"


@pytest.mark.parametrize("exercise_id", sorted(ANSWERS))
def test_the_untouched_stub_fails(exercise_id):
    path = ANSWERS[exercise_id][0]
    _setup, cell, expression = _answer_cells(ROOT / "notebooks" / path.name)[exercise_id]
    assert "raise NotImplementedError()" in cell and BEGIN not in cell
    verdict = evaluate(exercise_id, _answer(_setup, cell, expression))
    assert not verdict.passed
    assert verdict.behaviour == "the answer is still the stub (it raises NotImplementedError)"
    assert len(verdict.hints) == 1 and verdict.more_hints


@pytest.mark.parametrize(
    "exercise_id, n", [(ex_id, n) for ex_id in sorted(WRONG) for n in range(len(WRONG[ex_id]))]
)
def test_a_known_wrong_answer_fails_with_its_hint(exercise_id, n):
    _, setup, cell, expression = ANSWERS[exercise_id]
    codes, words = WRONG[exercise_id][n]
    verdict = evaluate(exercise_id, _answer(setup, replace_solutions(cell, codes), expression))
    assert not verdict.passed
    assert words in verdict.behaviour, verdict.behaviour
    assert not verdict.behaviour.startswith(("the answer is still the stub", "your answer raised"))
    both = evaluate(exercise_id, _answer(setup, replace_solutions(cell, codes), expression), hint=2)
    assert both.hints[:1] == verdict.hints and len(both.hints) == 2 and not both.more_hints
    assert "hint 2:" in str(both) and "hint=2" in str(verdict)


def test_an_answer_that_crashes_gets_a_verdict_not_an_exception():
    def broken(aggregate_type):
        return 1 / 0

    verdict = evaluate("02-scenario", broken)
    assert not verdict.passed
    assert verdict.behaviour == "your answer raised ZeroDivisionError: division by zero"


def test_an_unknown_exercise_is_named_with_the_known_ones():
    with pytest.raises(LookupError, match="no exercise '99-x'; known: 02-scenario"):
        evaluate("99-x", None)


@pytest.mark.parametrize("solved", SOLVED, ids=[p.name for p in SOLVED])
def test_the_learner_notebook_is_generated_from_its_solved_twin(solved):
    """Edit solutions/NN and run `python3 tasks.py exercises NN`, never notebooks/NN alone."""
    learner = learner_notebook(json.loads(solved.read_text(encoding="utf-8")))
    committed = _cells(ROOT / "notebooks" / solved.name)
    assert [_source(c) for c in committed] == [_source(c) for c in learner["cells"]]
    assert not any(BEGIN in _source(c) or "END SOLUTION" in _source(c) for c in committed)


def test_refreshing_the_notebooks_remakes_the_solved_twins_too(monkeypatch, tmp_path):
    """`python3 tasks.py notebooks` after a library change must not leave solutions/ stale:
    a notebook with a twin is remade from it, the others are executed in place."""
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    for name in ("notebooks/01-a.ipynb", "solutions/01-a.ipynb", "notebooks/07-b.ipynb"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    done: list[str] = []
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "setup", lambda *args, **kwargs: None)
    monkeypatch.setattr(tasks, "_execute", lambda path: done.append(f"run {path.parent.name}"))
    monkeypatch.setattr(tasks, "run", lambda *args: done.append(f"twins {args[-1]}"))
    monkeypatch.setattr(sys, "argv", ["tasks.py", "notebooks"])
    tasks.notebooks()
    assert done == ["run solutions", "twins 01-a.ipynb", "run notebooks", "run notebooks"]
    done.clear()
    monkeypatch.setattr(sys, "argv", ["tasks.py", "notebooks", "07"])
    tasks.notebooks()
    assert done == ["run notebooks"]


def test_solution_markers_must_sit_inside_a_block():
    with pytest.raises(ValueError, match="inside a def or class"):
        replace_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")
    with pytest.raises(ValueError, match="unbalanced"):
        replace_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    assert replace_solutions(
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    ) == ("def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")


def test_the_solved_twins_are_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the dev extra)")
    result = subprocess.run([ruff, "check", "solutions"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_hints_prints_an_exercises_title_and_both_general_hints(capsys):
    hints("05-orders-per-city")
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "05-orders-per-city: A RowProjection for a new read model: orders per shipping city"
    )
    assert [line[:9] for line in lines[1:]] == ["  hint 1:", "  hint 2:"]


def test_check_prints_the_verdict_and_never_more_than_two_hints(capsys):
    check("02-order-id", lambda events: events[0].order_id, hint=5)
    out = capsys.readouterr().out
    assert out.startswith("02-order-id: not yet: when a command cancels an old order")
    assert "hint 2:" in out and "hint 3" not in out and "hint=2" not in out
