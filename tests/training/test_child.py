"""The worker-process side (forecast/training/child.py), run in this process with its channels in place."""

from __future__ import annotations

import queue

import pytest

from forecast.training import child


@pytest.fixture
def channels(monkeypatch):
    """The progress queue and cancel flags a worker gets from its initializer."""
    progress: queue.Queue = queue.Queue()
    flags = [0] * child.CANCEL_SLOTS
    monkeypatch.setattr(child, "_progress_queue", progress)
    monkeypatch.setattr(child, "_cancel_flags", flags)
    monkeypatch.setattr(child, "_import_problem", None)
    return progress, flags


def messages(progress: queue.Queue) -> list:
    found = []
    while not progress.empty():
        found.append(progress.get())
    return found


def test_cancel_flags_name_one_job_each(channels):
    _, flags = channels
    flags[7] = 8  # job 7 cancelled
    assert child.is_cancelled(7)
    assert not child.is_cancelled(7 + child.CANCEL_SLOTS)  # shares the slot, but is another job


def test_a_training_streams_its_epochs_and_then_its_result(channels, tiny_config):
    progress, _ = channels
    assert child.train_group([3], [tiny_config.replace(epochs=2).to_dict()], [{}], [None]) == [3]
    kinds = [(number, kind) for number, kind, _ in messages(progress)]
    assert kinds == [(3, "started"), (3, "epoch"), (3, "epoch"), (3, "result")]


def test_a_group_trains_together_and_each_result_follows_its_own_epochs(channels, tiny_config):
    progress, _ = channels
    configs = [tiny_config.replace(epochs=2, seed=seed).to_dict() for seed in (0, 1)]
    assert child.train_group([3, 4], configs, [{}, {}], [None, None]) == [3, 4]
    sent = messages(progress)
    for number in (3, 4):
        kinds = [kind for n, kind, _ in sent if n == number]
        assert kinds == ["started", "epoch", "epoch", "result"]
    results = {number: payload for number, kind, payload in sent if kind == "result"}
    assert results[3].config.seed == 0 and results[4].config.seed == 1
    assert results[3].loss[-1] != results[4].loss[-1]  # two networks, not one sent twice


def test_a_cancelled_training_sends_nothing_and_its_group_goes_on(channels, tiny_config):
    progress, flags = channels
    flags[4] = 5
    assert child.train_group([4], [tiny_config.to_dict()], [{}], [None]) == []
    assert messages(progress) == []
    configs = [tiny_config.replace(epochs=2, seed=seed).to_dict() for seed in (0, 1)]
    assert child.train_group([4, 6], configs, [{}, {}], [None, None]) == [6]
    assert {number for number, _, _ in messages(progress)} == {6}


def test_a_missing_tensorflow_is_reported_in_one_sentence(channels, tiny_config, monkeypatch):
    problem = child.tensorflow_problem(ImportError("No module named 'tensorflow'"))
    assert problem.startswith("Training needs TensorFlow") and "\n" not in problem and "3.12" in problem
    monkeypatch.setattr(child, "_import_problem", problem)
    with pytest.raises(child.TensorFlowUnavailable, match="Training needs TensorFlow"):
        child.train_group([5], [tiny_config.to_dict()], [{}], [None])
