"""The blue-green race: two lanes fill up, the cut-over is marked, blue serves until then."""

import re

import pytest

from cqrs_lab.orders import OrderProjectionV2
from cqrs_lab.presentation.blue_green_race import BlueGreenView
from tests.builders import three_orders


@pytest.fixture
def view(lab):
    three_orders(lab)  # 9 events
    lab.catch_up()
    return BlueGreenView(lab, lambda: [OrderProjectionV2(lab.customers)], batch_size=4)


def lanes(view):
    html = view.picture.value
    return {
        name: int(pos)
        for name, pos in re.findall(
            r'class="cqrs-lane cqrs-lane-(\w+)" data-position="(\d+)"', html
        )
    }


def columns(lab):
    return list(lab.read_db.execute("SELECT * FROM order_summary LIMIT 0").df().columns)


def test_green_fills_its_lane_batch_by_batch_while_blue_serves(view, lab):
    view.start_button.click()
    assert lanes(view) == {"blue": 9, "green": 0}
    view.advance_button.click()
    assert lanes(view) == {"blue": 9, "green": 4}
    assert 'data-serving="blue"' in view.picture.value
    assert "updated_at" not in columns(lab)  # queries still read version 1


def test_the_cut_over_is_marked_and_green_serves_after_it(view, lab):
    view.start_button.click()
    view.advance_button.click()
    view.cut_button.click()
    html = view.picture.value
    assert lanes(view) == {"blue": 9, "green": 9}
    assert re.search(r'class="cqrs-cut-over" data-position="9"', html)
    assert 'data-serving="green"' in html
    assert "updated_at" in columns(lab)


def test_a_second_start_while_racing_is_refused(view):
    view.start()
    with pytest.raises(RuntimeError, match="cut over first"):
        view.start()


def test_before_any_rebuild_the_view_says_blue_serves(view):
    assert 'data-serving="blue"' in view.picture.value
    assert "press Start" in view.picture.value


def test_advance_takes_the_boxs_batch_but_the_cut_over_catches_up_in_one_go(view):
    view.advance()
    assert lanes(view)["green"] == 4
    commits = []
    view.race.green.observers.append(commits.append)
    view.cut_over()
    assert [(c.first_position, c.last_position) for c in commits] == [(5, 9)]  # not 5-8, 9
