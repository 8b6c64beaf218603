import math

import numpy as np
import pytest

from forecast.evaluation.metrics import evaluate, mae, r2, rmse


def test_against_hand_computed_values():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    predicted = np.array([1.0, 3.0, 2.0, 6.0])
    # errors 0, 1, -1, 2: squares 0, 1, 1, 4 → MSE 1.5; absolute 0, 1, 1, 2 → MAE 1.0
    assert rmse(actual, predicted) == pytest.approx(math.sqrt(1.5))
    assert mae(actual, predicted) == pytest.approx(1.0)
    # total sum of squares around the mean 2.5: 2.25 + 0.25 + 0.25 + 2.25 = 5; residual 6 → r2 = 1 − 6/5
    assert r2(actual, predicted) == pytest.approx(-0.2)
    assert evaluate(actual, predicted) == {"rmse": pytest.approx(math.sqrt(1.5)), "mae": 1.0, "r2": pytest.approx(-0.2)}


def test_perfect_prediction():
    values = np.array([3.0, -1.0, 2.0])
    assert evaluate(values, values) == {"rmse": 0.0, "mae": 0.0, "r2": 1.0}


def test_constant_actual():
    assert r2(np.ones(3), np.ones(3)) == 1.0
    assert r2(np.ones(3), np.zeros(3)) == -math.inf


def test_shape_mismatch_and_empty_are_refused():
    with pytest.raises(ValueError, match="shape"):
        rmse(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="no values"):
        mae(np.array([]), np.array([]))
