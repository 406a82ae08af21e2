"""An event changed on the way with a value no command could store is refused, not folded in.

``tamper_event`` with ``model_copy(update=...)`` makes an event of the right type and stream
whose value breaks the type's bounds (pydantic validates nothing on a copy). The projector
validates a damaged event again and refuses it naming its position and field.
"""

import pytest

from cqrs_lab import ProjectionError, check_consistency, tamper_event
from cqrs_lab.orders import build_lab
from tests.builders import snapshot, three_orders


def _tampered(lab, **update):
    ids = three_orders(lab)
    original = lab.event_store.read_all()[4].event  # order 2's armchair line at 249.00
    tamper_event(lab.event_store, 5, original.model_copy(update=update))
    return ids


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("unit_price", -1.0, "greater than or equal to 0"),
        ("unit_price", float("1e400"), "finite number"),
        ("quantity", 0, "greater than 0"),
    ],
)
def test_an_out_of_bounds_value_is_refused_naming_position_and_field(field, value, words):
    lab = build_lab(seed=1)
    _tampered(lab, **{field: value})
    before = snapshot(lab)
    with pytest.raises(ProjectionError) as refused:
        lab.catch_up()
    message = str(refused.value)
    assert refused.value.position == 5
    assert f"OrderItemAdded at position 5 has an invalid {field} ({value!r})" in message
    assert words in message
    assert snapshot(lab) == before  # nothing half-applied


def test_a_tampered_price_is_dead_lettered_and_the_totals_stay_finite():
    lab = build_lab(seed=2, dead_letter_policy="skip")
    ids = _tampered(lab, unit_price=float("1e400"))
    lab.catch_up()
    letters = lab.projector.dead_letters.frame()
    assert set(letters["position"]) == {5}
    assert all("has an invalid unit_price (inf)" in error for error in letters["error"])
    totals = lab.read_db.execute(
        "SELECT total_amount FROM order_summary WHERE id = ?", [ids[1]]
    ).fetchone()
    assert totals == (179.0,)  # the keyboards only: the damaged line was never folded in


def test_a_tampered_value_that_is_still_valid_is_projected_as_it_reads():
    """Revalidation refuses broken values, not changed ones: 100.00 is a price a command
    could have stored (the consistency check, not validation, finds that kind)."""
    lab = build_lab(seed=3)
    ids = _tampered(lab, unit_price=100.0)
    lab.catch_up()
    row = lab.read_db.execute(
        "SELECT total_amount FROM order_summary WHERE id = ?", [ids[1]]
    ).fetchone()
    assert row == (279.0,)


def test_time_travel_and_the_consistency_check_refuse_it_too():
    lab = build_lab(seed=4, dead_letter_policy="skip")
    _tampered(lab, unit_price=-1.0)
    with pytest.raises(ProjectionError, match="has an invalid unit_price"):
        lab.read_model_as_of("order_summary", 9)
    lab.catch_up()
    report = check_consistency(lab)
    assert set(report.unprojectable.position) == {5}
