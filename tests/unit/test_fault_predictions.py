"""Notebook 09's prediction exercises take a prediction in whatever form a learner reads
it off the lab: a value from a pandas frame is a NumPy integer or bool, not Python's."""

import numpy as np
import pytest

import cqrs_lab.exercises.faults  # noqa: F401  (registers the exercises)
from cqrs_lab.exercises.checking import evaluate


@pytest.mark.parametrize(
    ("exercise", "prediction"),
    [
        ("09-slow-green", lambda: np.int64(9)),
        ("09-poison-created", lambda: (np.array([3, 2, 1]), np.False_)),
        ("09-every-fault", lambda: (np.int64(2), np.True_)),
    ],
)
def test_a_right_prediction_read_off_a_frame_passes(exercise, prediction):
    assert str(evaluate(exercise, prediction)).startswith(f"{exercise}: passed")


@pytest.mark.parametrize("position", [0, -1, 10, 10**100])
def test_a_position_the_store_does_not_hold_is_named_as_such(position):
    verdict = str(evaluate("09-poison-created", lambda: ([1, 2, 3, position], False)))
    assert "not yet" in verdict and "the shop holds positions 1-9 only" in verdict
    assert f"dead letters at {position}:" in verdict


def test_positions_given_as_an_endless_generator_are_refused_not_listed():
    import itertools

    verdict = str(evaluate("09-poison-created", lambda: (itertools.count(1), False)))
    assert "not yet" in verdict and "are not a list of positions" in verdict
