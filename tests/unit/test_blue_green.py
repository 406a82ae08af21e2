"""Blue-green rebuild: the new version races the live one, then takes over atomically."""

import pytest

from cqrs_lab import BlueGreenRebuild, check_consistency
from cqrs_lab.orders import (
    CancelOrder,
    GetOrderById,
    OrderProjectionV2,
    build_lab,
    created_order_id,
)
from tests.builders import armchair_and_keyboards


def test_green_catches_up_beside_blue_while_queries_read_blue_then_cut_over_switches_them(lab):
    first = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.catch_up()
    rebuild = BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)], batch_size=2)
    for _ in range(2):
        lab.dispatch(armchair_and_keyboards())
        rebuild.sample("command")
        lab.catch_up()
        rebuild.advance()
        assert "updated_at" not in lab.read_model("order_summary")  # queries still on blue
    race = rebuild.frame()
    assert race[["head", "blue_behind", "green_behind"]].values.tolist() == [
        [3, 0, 3],
        [6, 3, 6],
        [6, 0, 4],
        [9, 3, 7],
        [9, 0, 5],
    ]
    assert rebuild.cut_over() == 9
    summary = lab.read_model("order_summary")
    assert "updated_at" in summary and len(summary) == 3
    assert rebuild.frame().iloc[-1][["blue_behind", "green_behind", "note"]].tolist() == [
        0,
        0,
        "cut over",
    ]
    assert (
        "green"
        not in lab.read_db.df("SELECT schema_name FROM duckdb_schemas()")["schema_name"].tolist()
    )
    # The live projector now runs version 2 from where green stopped.
    lab.dispatch(CancelOrder(order_id=first, reason="changed mind"))
    lab.catch_up()
    assert lab.query(GetOrderById(order_id=first)).status == "cancelled"
    assert check_consistency(lab).ok


def test_green_equals_a_rebuild_of_the_new_version_from_scratch():
    lab = build_lab(seed=3)
    for _ in range(4):
        lab.dispatch(armchair_and_keyboards())
        lab.clock.advance(2)
    lab.catch_up()
    rebuild = BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)])
    rebuild.cut_over()
    reference = build_lab(seed=3, read_models=())
    for _ in range(4):
        reference.dispatch(armchair_and_keyboards())
        reference.clock.advance(2)
    reference.add_read_model(OrderProjectionV2(reference.customers))
    reference.catch_up()
    assert lab.read_model("order_summary").equals(reference.read_model("order_summary"))


def test_blue_green_refuses_an_unknown_projection_and_a_second_cut_over(lab):
    class Renamed(OrderProjectionV2):
        name = "orders_v2"

    with pytest.raises(ValueError, match=r"\['orders_v2'\] are not running"):
        BlueGreenRebuild(lab.projector, [Renamed(lab.customers)])
    rebuild = BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)])
    rebuild.cut_over()
    with pytest.raises(RuntimeError, match="already cut over"):
        rebuild.cut_over()
