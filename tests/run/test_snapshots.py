"""Snapshots of the LSTM's forecasts while it trains (config `snapshot_every`): taken without changing a number,
kept in the result and its cache file, averaged for an ensemble, listed in the JSON."""

import hashlib
import json

import numpy as np
import pytest

from forecast.config import Config, config_hash
from forecast.report.summary import run_summary
from forecast.run import pipeline
from forecast.run.result import Result
from tests.conftest import TINY


@pytest.fixture(scope="module")
def watched() -> pipeline.RunResult:
    return pipeline.run_all(Config(**TINY).replace(epochs=4, snapshot_every=2, horizon=3, ensemble=2))


def test_snapshots_change_no_number_and_end_at_the_trained_forecasts(watched):
    plain = pipeline.run_all(watched.config.replace(snapshot_every=0))
    assert plain.result.metrics == watched.result.metrics
    assert plain.future.future("lstm").tolist() == watched.future.future("lstm").tolist()
    for member in watched.members:
        assert [snapshot.epoch for snapshot in member.snapshots] == [2, 4]
        last = member.snapshots[-1]  # after the last epoch: exactly the trained network's forecasts
        np.testing.assert_array_equal(last.one_step, member.test_forecast("lstm", "one_step"))
        np.testing.assert_array_equal(last.recursive, member.test_forecast("lstm", "recursive"))
        assert last.loss == member.loss[-1] and last.val_loss == member.val_loss[-1]
        assert not len(last.future)
    first = watched.members[0].snapshots[0]
    assert not np.array_equal(first.recursive, watched.members[0].snapshots[1].recursive)


def test_an_ensembles_snapshots_are_its_members_mean_and_the_future_has_its_own(watched):
    mean = watched.result.snapshots
    for index, snapshot in enumerate(mean):
        members = [member.snapshots[index] for member in watched.members]
        np.testing.assert_allclose(snapshot.recursive, np.mean([m.recursive for m in members], axis=0))
    future = watched.future.snapshots
    assert [len(snapshot.future) for snapshot in future] == [3, 3] and not len(future[0].one_step)


def test_snapshots_survive_the_cache_file_and_reach_the_json(watched):
    member = watched.members[0]
    again = Result.from_bytes(member.to_bytes())
    for mine, theirs in zip(again.snapshots, member.snapshots, strict=True):
        assert mine.epoch == theirs.epoch and mine.loss == theirs.loss
        np.testing.assert_array_equal(mine.recursive, theirs.recursive)
    summary = json.loads(json.dumps(run_summary(watched)))
    assert [snapshot["epoch"] for snapshot in summary["snapshots"]] == [2, 4]
    assert set(summary["snapshots"][0]) == {"epoch", "loss", "val_loss", "one_step", "recursive"}
    assert summary["snapshots"][1]["recursive"] == pytest.approx(watched.result.snapshots[1].recursive.tolist())
    assert [len(snapshot["future"]) for snapshot in summary["future"]["snapshots"]] == [3, 3]
    plain = run_summary(pipeline.run_all(Config(**TINY)))
    assert "snapshots" not in plain


def test_taking_no_snapshots_keeps_every_cache_key():
    config = Config(**TINY)
    fields = config.to_dict()
    del fields["snapshot_every"]
    key = config_hash(config, "v")
    # The key of a config before the field existed: the same fields without it.
    canonical = json.dumps({"config": fields, "version": "v"}, sort_keys=True, separators=(",", ":"))
    assert key == hashlib.sha256(canonical.encode()).hexdigest()
    assert config_hash(config.replace(snapshot_every=5), "v") != key


def test_snapshots_land_on_the_epochs_asked_whatever_the_chunks():
    # 7 epochs, every 3: epochs 3 and 6, though a chunk of epochs would otherwise run past them.
    result = pipeline.compute(Config(**TINY).replace(epochs=7, snapshot_every=3))
    assert [snapshot.epoch for snapshot in result.snapshots] == [3, 6]
    assert [snapshot.loss for snapshot in result.snapshots] == [result.loss[2], result.loss[5]]
