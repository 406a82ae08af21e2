"""A lab on any event store, and a lab kept in a folder that survives a restart."""

import shutil
import sqlite3

import pytest

from cqrs_lab import PostgresEventStore, SimulatedClock, SQLiteEventStore
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CreateOrder,
    GetOrderById,
    LabFolderMismatchError,
    NotALabFolderError,
    OrderItem,
    build_lab,
    created_order_id,
    reset_lab,
)


def place_an_armchair_order(lab):
    command = CreateOrder(
        customer_id=ADA,
        shipping_address=DEMO_ADDRESS,
        items=[OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)],
    )
    return created_order_id(lab.dispatch(command))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_lab_runs_on_a_durable_event_store(kind, tmp_path, request):
    clock = SimulatedClock()
    if kind == "sqlite":
        store = SQLiteEventStore(tmp_path / "events.sqlite", clock)
    else:
        store = PostgresEventStore(request.getfixturevalue("postgres_dsn"), clock)
    lab = build_lab(event_store=store)
    order_id = place_an_armchair_order(lab)
    lab.catch_up()
    assert lab.event_store is store and lab.clock is clock and store.head == 2
    assert lab.query(GetOrderById(order_id=order_id)).total_amount == 249.0
    lab.close()


def test_a_lab_on_a_store_that_holds_events_never_reuses_an_order_id(tmp_path):
    first = build_lab(event_store=SQLiteEventStore(tmp_path / "events.sqlite", SimulatedClock()))
    old_order = place_an_armchair_order(first)
    first.close()

    again = build_lab(event_store=SQLiteEventStore(tmp_path / "events.sqlite", SimulatedClock()))
    new_order = place_an_armchair_order(again)  # with SeededIds(42) again: ConcurrencyError
    assert new_order != old_order and again.event_store.head == 4
    again.close()


def test_a_kept_lab_continues_where_it_stopped(tmp_path):
    first = build_lab(path=tmp_path / "ada")
    old_order = place_an_armchair_order(first)
    first.catch_up()
    first.clock.advance(60)
    last_time = first.event_store.read_all()[-1].recorded_at
    first.close()

    again = build_lab(path=tmp_path / "ada")
    assert again.event_store.head == 2 and again.lag().events_behind == 0
    assert again.query(GetOrderById(order_id=old_order)).total_amount == 249.0
    assert again.clock.now() >= last_time
    new_order = place_an_armchair_order(again)
    assert new_order != old_order
    assert [r.position for r in again.event_store.read_stream(new_order)] == [3, 4]
    again.catch_up()
    assert again.query(GetOrderById(order_id=new_order)) is not None
    again.close()


def test_a_new_kept_lab_prints_what_a_lab_in_memory_prints(tmp_path):
    kept, in_memory = build_lab(path=tmp_path / "ada"), build_lab()
    assert place_an_armchair_order(kept) == place_an_armchair_order(in_memory)
    kept.close()


def test_read_models_ahead_of_the_events_are_refused_naming_both_positions(tmp_path):
    lab = build_lab(path=tmp_path / "ada")
    place_an_armchair_order(lab)
    lab.catch_up()
    lab.close()
    events = sqlite3.connect(tmp_path / "ada" / "events.sqlite")
    with events:  # the events are lost, the read models remain
        events.execute("DELETE FROM events")
        events.execute("DELETE FROM streams")
    events.close()

    with pytest.raises(LabFolderMismatchError) as refused:
        build_lab(path=tmp_path / "ada")
    assert "at position 2" in str(refused.value) and "at head 0" in str(refused.value)


def test_read_models_of_another_lab_are_refused(tmp_path):
    for name in ("ada", "grace"):
        lab = build_lab(path=tmp_path / name)
        place_an_armchair_order(lab)
        lab.catch_up()
        lab.close()
    shutil.copy(tmp_path / "grace" / "read_models.duckdb", tmp_path / "ada" / "read_models.duckdb")

    with pytest.raises(LabFolderMismatchError, match="belongs to lab"):
        build_lab(path=tmp_path / "ada")


def test_a_kept_lab_takes_no_other_store_or_database(tmp_path):
    with pytest.raises(ValueError, match="path= keeps its own"):
        build_lab(path=tmp_path / "ada", database=str(tmp_path / "x.duckdb"))


def test_a_kept_lab_knows_its_folder_and_a_lab_in_memory_has_none(tmp_path):
    kept = build_lab(path=tmp_path / "ada")
    assert kept.path == tmp_path / "ada" and build_lab().path is None
    kept.close()


# -- reset --------------------------------------------------------------------------------


def test_reset_starts_a_kept_lab_over_empty_with_its_stock_back(tmp_path):
    lab = build_lab(path=tmp_path / "ada")
    place_an_armchair_order(lab)
    lab.catch_up()
    lab.close()

    deleted = reset_lab(tmp_path / "ada")

    assert {"events.sqlite", "read_models.duckdb", "stock.sqlite"} <= set(deleted)
    assert list((tmp_path / "ada").iterdir()) == []  # the folder stays, empty
    again = build_lab(path=tmp_path / "ada")
    assert again.event_store.head == 0 and again.read_model("order_summary").empty
    assert again.inventory.stock_of("CRUNCHY-ARMCHAIR") == 5
    assert place_an_armchair_order(again) == place_an_armchair_order(build_lab())  # as new
    again.close()


def test_reset_refuses_a_folder_with_other_files_and_deletes_nothing(tmp_path):
    lab = build_lab(path=tmp_path / "ada")
    place_an_armchair_order(lab)
    lab.close()
    (tmp_path / "ada" / "thesis.md").write_text("three years of work")
    before = sorted(p.name for p in (tmp_path / "ada").iterdir())

    with pytest.raises(NotALabFolderError, match="thesis.md") as refused:
        reset_lab(tmp_path / "ada")

    assert str(tmp_path / "ada") in str(refused.value)
    assert sorted(p.name for p in (tmp_path / "ada").iterdir()) == before
    assert build_lab(path=tmp_path / "ada").event_store.head == 2


@pytest.mark.parametrize("made", ["missing", "empty", "foreign-events-file"])
def test_reset_refuses_a_folder_that_no_lab_made(made, tmp_path):
    folder = tmp_path / "not-a-lab"
    if made != "missing":
        folder.mkdir()
    if made == "foreign-events-file":  # a file of the same name, not written by a lab
        (folder / "events.sqlite").write_text("somebody's notes")

    with pytest.raises(NotALabFolderError, match=str(folder)):
        reset_lab(folder)

    if made == "foreign-events-file":
        assert (folder / "events.sqlite").read_text() == "somebody's notes"
