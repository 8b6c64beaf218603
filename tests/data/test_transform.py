import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.data import transform
from forecast.data.split import check_chain, split_counts
from forecast.data.transform import TransformChain, apply, invert_one_step, invert_recursive

EVERY_CHAIN = [
    TransformChain(transform, difference, seasonal, season)
    for transform, difference, seasonal, season in itertools.product(("none", "log"), (0, 1, 2), (0, 1), (0, 2, 4))
    if not (seasonal and season == 0)
]


def reference_transform(values, chain):
    """Log, then each differencing applied one after another with plain slicing: independent of the library."""
    work = np.log(values) if chain.transform == "log" else np.array(values, dtype=float)
    if chain.seasonal_difference:
        work = work[chain.season_length :] - work[: -chain.season_length]
    for _ in range(chain.difference):
        work = work[1:] - work[:-1]
    return work


def test_every_combination_is_covered():
    assert len(EVERY_CHAIN) == 2 * 3 * (1 + 2 + 2)  # (no season, season 2, season 4 unused) + seasonal at 2, 4
    assert {chain.lost for chain in EVERY_CHAIN} == {0, 1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize("chain", EVERY_CHAIN, ids=str)
def test_apply_matches_sequential_differencing(chain):
    values = np.random.default_rng(1).uniform(1, 50, size=40)
    np.testing.assert_allclose(apply(values, chain), reference_transform(values, chain), rtol=1e-12, atol=1e-12)
    assert len(apply(values, chain)) == 40 - chain.lost


def test_identity_is_bit_for_bit():
    values = np.random.default_rng(0).normal(size=30)
    chain = TransformChain()
    assert np.array_equal(apply(values, chain), values)
    predicted = values[5:] + 0.1
    assert np.array_equal(invert_one_step(values, predicted, 5, chain), predicted)
    assert np.array_equal(invert_recursive(values[:5], predicted, chain), predicted)


positive_series = st.lists(st.floats(0.5, 1000.0), min_size=12, max_size=40).map(np.array)


@settings(max_examples=40, deadline=None)
@given(values=positive_series, chain=st.sampled_from(EVERY_CHAIN), data=st.data())
def test_one_step_inverse_of_the_true_changes_gives_the_values_back(values, chain, data):
    transformed = apply(values, chain)
    start = data.draw(st.integers(chain.lost, len(values) - 1))
    got = invert_one_step(values, transformed[start - chain.lost :], start, chain)
    np.testing.assert_allclose(got, values[start:], rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(values=positive_series, chain=st.sampled_from(EVERY_CHAIN), data=st.data())
def test_recursive_inverse_of_the_true_changes_gives_the_values_back(values, chain, data):
    transformed = apply(values, chain)
    origin = data.draw(st.integers(chain.lost, len(values) - 1))
    got = invert_recursive(values[:origin], transformed[origin - chain.lost :], chain)
    np.testing.assert_allclose(got, values[origin:], rtol=1e-8)


@settings(max_examples=40, deadline=None)
@given(values=positive_series, chain=st.sampled_from(EVERY_CHAIN), data=st.data())
def test_one_step_uses_only_true_history_and_recursive_its_own(values, chain, data):
    """A wrong change moves one-step predictions one at a time; the recursive forecast carries it forward."""
    if chain.is_identity:
        return
    transformed = apply(values, chain)
    origin = data.draw(st.integers(chain.lost, len(values) - 2))
    changes = transformed[origin - chain.lost :].copy()
    changes[0] += 0.01  # one wrong prediction at the origin
    one_step = invert_one_step(values, changes, origin, chain)
    # Later one-step predictions still see the true values, so they stay exact.
    np.testing.assert_allclose(one_step[1:], values[origin + 1 :], rtol=1e-9)
    assert not np.isclose(one_step[0], values[origin], rtol=1e-9, atol=0)
    recursive = invert_recursive(values[:origin], changes, chain)
    # The recursive forecast builds on its own wrong value, so the next step is off as well whenever c₁ ≠ 0.
    if chain.lost and chain.coefficients[1] != 0:
        assert not np.isclose(recursive[1], values[origin + 1], rtol=1e-9, atol=0)


def test_recursive_inversion_on_a_known_case():
    # Second differences of a quadratic are constant: predicting that constant extends the parabola exactly.
    values = np.arange(10.0) ** 2
    chain = TransformChain(difference=2)
    np.testing.assert_allclose(invert_recursive(values, np.full(5, 2.0), chain), np.arange(10.0, 15.0) ** 2)
    # A seasonal difference of 0 repeats the last season.
    seasonal = TransformChain(seasonal_difference=1, season_length=3)
    np.testing.assert_array_equal(
        invert_recursive(np.array([5.0, 1.0, 2.0, 3.0]), np.zeros(5), seasonal), [1, 2, 3, 1, 2]
    )
    # In log space, a constant first difference is constant growth.
    growth = TransformChain(transform="log", difference=1)
    np.testing.assert_allclose(invert_recursive(np.array([100.0]), np.full(3, np.log(1.1)), growth), [110, 121, 133.1])


def test_log_refuses_values_at_or_below_zero_naming_the_row():
    values = np.array([3.0, 2.0, 0.0, -1.0, 5.0])
    with pytest.raises(ValueError, match=r"row 3 is 0 \(2 such values\)"):
        apply(values, TransformChain(transform="log"))
    xs = np.array(["2020-01", "2020-02", "2020-03", "2020-04", "2020-05"], dtype="datetime64[D]")
    with pytest.raises(ValueError, match=r"row 3 \(x = 2020-03-01\) is 0"):
        apply(values, TransformChain(transform="log"), xs=xs)
    with pytest.raises(ValueError, match="row 1 is nan"):
        transform.check_values(np.array([np.nan, 1.0]), TransformChain(transform="log"))
    apply(values, TransformChain(difference=1))  # Without log, zeros and negatives are fine.


def test_chain_fields_are_checked():
    with pytest.raises(ValueError, match="transform must be one of"):
        TransformChain(transform="boxcox")
    with pytest.raises(ValueError, match="difference must be 0, 1 or 2"):
        TransformChain(difference=3)
    with pytest.raises(ValueError, match="seasonal_difference must be 0 or 1"):
        TransformChain(seasonal_difference=2, season_length=12)
    with pytest.raises(ValueError, match="season_length must be 0"):
        TransformChain(season_length=1)
    with pytest.raises(ValueError, match="seasonal differencing needs a season length"):
        TransformChain(seasonal_difference=1)


def test_split_counts_keep_the_original_split_without_transforms():
    for n_points, lookback, ratio in [(400, 5, 0.8), (144, 12, 0.9129), (72, 3, 0.5), (20, 1, 0.95)]:
        # The original: windows = points − lookback, split at int(windows · ratio).
        n_windows = n_points - lookback
        expected = (int(n_windows * ratio), n_windows - int(n_windows * ratio))
        assert split_counts(n_points, lookback, TransformChain(), train_ratio=ratio) == expected
    airline = TransformChain("log", 1, 1, 12)
    assert split_counts(144, 12, airline, test_size=12) == (144 - 13 - 12 - 12, 12)


def test_bad_combinations_get_one_sentence():
    with pytest.raises(ValueError, match=r"season length 52 does not fit in the training part \(48 points\)"):
        check_chain(TransformChain(season_length=52), 60, 4, test_size=12)
    with pytest.raises(ValueError, match="season length 48 does not fit"):
        check_chain(TransformChain(season_length=48), 60, 4, test_size=12)
    check_chain(TransformChain(season_length=47), 60, 4, test_size=12)  # one value more than a season: fits
    message = r"first difference, seasonal difference at 12 drops the first 13 values, so lookback 12 leaves only 1"
    with pytest.raises(ValueError, match=message):
        check_chain(TransformChain(difference=1, seasonal_difference=1, season_length=12), 38, 12, test_size=12)
    with pytest.raises(ValueError, match=r"leaves no window at all \(7 points; a window is 5 values and the one after"):
        check_chain(TransformChain(difference=2), 7, 5, train_ratio=0.95)
    check_chain(TransformChain("log", 1, 1, 12), 144, 12, test_size=12)  # the airline recipe fits


def test_inversion_arguments_are_checked():
    chain = TransformChain(difference=1)
    with pytest.raises(ValueError, match="positions 1–9"):
        invert_one_step(np.arange(10.0), np.zeros(3), 0, chain)
    with pytest.raises(ValueError, match="at least 1 values before the origin"):
        invert_recursive(np.array([]), np.zeros(3), chain)
    with pytest.raises(ValueError, match="needs more than 13 values"):
        apply(np.ones(13), TransformChain(difference=1, seasonal_difference=1, season_length=12))
