import numpy as np
import pytest

from forecast import pipeline
from forecast.cache import ResultCache
from forecast.config import DEFAULT_CONFIG
from forecast.expressions import ExpressionError
from forecast.pipeline import MODEL_NAMES, Result, result_key, run


def test_tiny_run_end_to_end(tiny_config):
    result = run(tiny_config)
    n_windows = tiny_config.n_points - tiny_config.lookback
    assert result.n_points == 80 and result.n_train + result.n_test == n_windows
    assert result.epochs_run == 2 and not result.cached
    for model in MODEL_NAMES:
        assert result.predictions[model]["one_step"].shape == (n_windows,)
        assert result.predictions[model]["recursive"].shape == (result.n_test,)
        for kind in ("one_step", "recursive"):
            assert set(result.metrics[model][kind]) == {"rmse", "mae", "r2"}
    assert result.metrics["linear_ar"]["one_step"]["rmse"] < 1e-6
    np.testing.assert_allclose(result.test_xs, result.xs[-result.n_test :])
    # Naive one-step on the test windows is the last true value of each window.
    np.testing.assert_array_equal(
        result.predictions["naive"]["one_step"][-result.n_test :], result.ys[-result.n_test - 1 : -1]
    )
    assert result.model_bytes[:2] == b"PK"


def test_same_config_gives_the_same_numbers(tiny_config):
    first = run(tiny_config)
    second = run(tiny_config)
    assert first.metrics == second.metrics
    np.testing.assert_array_equal(first.predictions["lstm"]["recursive"], second.predictions["lstm"]["recursive"])


def test_result_bytes_round_trip(tiny_config):
    result = run(tiny_config.replace(schedule="cosine", epochs=3))
    restored = Result.from_bytes(result.to_bytes())
    assert restored.config == result.config
    assert restored.metrics == result.metrics
    assert restored.model_bytes == result.model_bytes
    for model in MODEL_NAMES:
        for kind in ("one_step", "recursive"):
            np.testing.assert_array_equal(restored.predictions[model][kind], result.predictions[model][kind])
    np.testing.assert_array_equal(restored.loss, result.loss)
    np.testing.assert_array_equal(restored.learning_rate, result.learning_rate)
    assert result.learning_rate[0] == result.config.learning_rate > result.learning_rate[-1] > 0
    assert restored.summary() == result.summary()


@pytest.mark.parametrize("data", [b"", b"not an npz", b"PK\x03\x04garbage", np.zeros(3).tobytes()])
def test_foreign_bytes_are_refused(data):
    with pytest.raises(ValueError, match="not a stored result"):
        Result.from_bytes(data)


def test_summary_has_the_cli_contract(tiny_config):
    summary = run(tiny_config).summary()
    assert set(summary) >= {"config", "n_points", "n_train", "n_test", "epochs_run", "fit_seconds", "cached", "metrics"}
    assert summary["config"] == tiny_config.to_dict()
    assert set(summary["metrics"]) == {"lstm", "naive", "linear_ar"}


def test_bad_series_fails_before_training(tiny_config, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("must not train")

    monkeypatch.setattr(pipeline, "compute", no_training)
    with pytest.raises(ExpressionError, match="NaN"):
        run(tiny_config.replace(expression="log(x)"))


def test_run_uses_the_cache(tiny_config, tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    first = run(tiny_config, cache=cache)
    assert not first.cached

    def no_training(*args, **kwargs):
        raise AssertionError("a cached config must not train")

    monkeypatch.setattr(pipeline, "compute", no_training)
    second = run(tiny_config, cache=cache)
    assert second.cached and second.metrics == first.metrics


def test_result_key_depends_on_config_and_code_version(monkeypatch):
    key = result_key(DEFAULT_CONFIG)
    assert key == result_key(DEFAULT_CONFIG.replace())
    assert key != result_key(DEFAULT_CONFIG.replace(seed=3))
    monkeypatch.setattr(pipeline, "TRAINING_CODE_VERSION", "changed")
    assert key != result_key(DEFAULT_CONFIG)
