import numpy as np
import pytest

from forecast.config import DEFAULT_CONFIG
from forecast.evaluation.metrics import rmse
from forecast.run.ensemble import BAND_KINDS, summarize
from tests.conftest import make_fake_result as fake_result


def member(seed: int, offset: float):
    # The LSTM's forecasts miss by 1 + offset; the baselines' by 1.
    return fake_result(DEFAULT_CONFIG.replace(seed=seed), misses={"lstm": 1.0 + offset, "naive": 1.0, "linear_ar": 1.0})


def test_summary_mean_bands_and_metrics():
    members = [member(0, 0.0), member(1, 1.0), member(2, 2.0)]
    ensemble = summarize(members)
    assert ensemble.size == 3 and ensemble.seeds == (0, 1, 2)
    assert ensemble.recursive.shape == (3, members[0].n_test)
    np.testing.assert_allclose(ensemble.mean("recursive"), members[0].test_forecast("lstm", "recursive") + 1.0)
    low, high = ensemble.band("recursive", BAND_KINDS[0])
    np.testing.assert_allclose(high - low, 2.0)
    low, high = ensemble.band("recursive", BAND_KINDS[1])
    np.testing.assert_allclose(high - low, 4.0)  # ± 2 sd, sd of (0, 1, 2) with ddof 1 is 1
    assert ensemble.member_rmse["recursive"] == (1.0, 3.0)
    expected = rmse(members[0].test_targets, ensemble.mean("recursive"))
    assert ensemble.metrics["recursive"]["rmse"] == pytest.approx(expected)


def test_members_must_share_their_series():
    first = fake_result(DEFAULT_CONFIG)
    other = fake_result(DEFAULT_CONFIG.replace(x_step=0.2))
    with pytest.raises(ValueError, match="share"):
        summarize([first, other])
    with pytest.raises(ValueError, match="at least one"):
        summarize([])
    with pytest.raises(ValueError, match="band must be"):
        summarize([first]).band("one_step", "quartiles")
