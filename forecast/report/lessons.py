"""What to try: prepared configs that teach with the playground's own levers, each with what its run showed.

A lesson names what to look at, never what will be seen: every claim is computed from the run the lesson links
to (`claim`), and there is none until that run exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from forecast.config import Config
from forecast.run.outcome import RunResult

__all__ = ["LESSONS", "Lesson", "claim"]

# Reads the lesson's runs (None where one has not run yet) and says what they showed; None if it cannot yet.
Claim = Callable[[Sequence[RunResult | None]], str | None]


@dataclasses.dataclass(frozen=True)
class Lesson:
    """A question to answer with one or two prepared runs."""

    title: str
    look_at: str  # what to look at: a direction, not a result
    labels: tuple[str, ...]  # one per prepared config
    changes: tuple[dict, ...]  # each config's fields, on top of the page's defaults
    claim: Claim


def _rmse(run: RunResult, model: str, kind: str) -> float:
    return run.result.metrics[model][kind]["rmse"]


def _times(bigger: float, smaller: float) -> str:
    return (
        f"{bigger / smaller:.0f}×"
        if smaller > 0 and bigger / smaller >= 10
        else f"{bigger / max(smaller, 1e-300):.2g}×"
    )


def _one_step_flatters(runs: Sequence[RunResult | None]) -> str | None:
    (run,) = runs
    if run is None:
        return None
    one_step, recursive = _rmse(run, "lstm", "one_step"), _rmse(run, "lstm", "recursive")
    if recursive >= one_step:
        text = (
            f"one-step RMSE {one_step:.3g}, recursive RMSE {recursive:.3g}: fed its own predictions, the forecast is "
            f"{_times(recursive, one_step)} worse than the dots suggest"
        )
    else:
        text = f"one-step RMSE {one_step:.3g}, recursive RMSE {recursive:.3g}: here the recursive forecast held up"
    snapshots = run.result.snapshots
    if snapshots:
        first = snapshots[0]
        text += (
            f". At epoch {first.epoch} they were {_spread(first.one_step, run):.3g} and "
            f"{_spread(first.recursive, run):.3g}: scrub back to watch them form"
        )
    return text + "."


def _spread(forecast, run: RunResult) -> float:
    """RMSE of a snapshot's forecast of the holdout."""
    actual = run.result.test_targets
    return float(((forecast - actual) ** 2).mean() ** 0.5)


def _compare(field: str, metric: tuple[str, str] = ("lstm", "recursive")) -> Claim:
    def compare(runs: Sequence[RunResult | None]) -> str | None:
        present = [run for run in runs if run is not None]
        known = [(run.config, _rmse(run, *metric)) for run in present]
        if not known:
            return None
        # Where the settings change the test part's length (a longer lookback leaves fewer windows), say so: a
        # recursive forecast over more steps has more room to drift.
        lengths = {run.result.n_test for run in present}
        over = (lambda run: f" over {run.result.n_test} steps") if len(lengths) > 1 else (lambda run: "")
        parts = [
            f"{field} {getattr(run.config, field)}: {metric[1].replace('_', '-')} RMSE {rmse:.3g}{over(run)}"
            for run, (_, rmse) in zip(present, known, strict=True)
        ]
        if len(known) == len(runs) == 2:
            (first, a), (second, b) = known
            better = getattr(first, field) if a < b else getattr(second, field)
            parts.append(f"{field} {better} did better, by {_times(max(a, b), min(a, b))}")
        else:
            parts.append("open the other to compare")
        return "; ".join(parts) + "."

    return compare


def _noise_and_naive(runs: Sequence[RunResult | None]) -> str | None:
    (run,) = runs
    if run is None:
        return None
    lstm, naive = _rmse(run, "lstm", "one_step"), _rmse(run, "naive", "one_step")
    verdict = "beat" if lstm < naive else "did not beat"
    return (
        f"on this noisy curve the LSTM's one-step RMSE is {lstm:.3g} and the naive forecast's (the last value, "
        f"repeated) {naive:.3g}: the LSTM {verdict} it."
    )


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "Why the original post's dots look perfect",
        "Compare the one-step dots (each from true values) with the recursive line (fed its own predictions), then "
        "scrub back through the epochs.",
        ("the original recipe",),
        ({"scaling": "none", "learning_rate": 0.001, "schedule": "constant"},),
        _one_step_flatters,
    ),
    Lesson(
        "How much history does it need?",
        "The same network with a window of 1 value and of 20: click a test point to see the window behind it.",
        ("lookback 1", "lookback 20"),
        ({"lookback": 1}, {"lookback": 20}),
        _compare("lookback"),
    ),
    Lesson(
        "Does scaling matter?",
        "The same network on raw values and on standardised ones: watch the loss curve and the recursive line.",
        ("no scaling", "standard scaling"),
        ({"scaling": "none"}, {"scaling": "standard"}),
        _compare("scaling"),
    ),
    Lesson(
        "Noise and the naive baseline",
        "Add noise to the curve and compare the LSTM's one-step error with repeating the last value.",
        ("noise 0.5",),
        ({"noise": 0.5},),
        _noise_and_naive,
    ),
)


def configs(lesson: Lesson, defaults: Config) -> list[Config]:
    """The lesson's prepared configs on top of `defaults` (the page's)."""
    return [defaults.replace(**changes) for changes in lesson.changes]


def claim(lesson: Lesson, runs: Sequence[RunResult | None]) -> str | None:
    """What the lesson's runs showed (None until one of them has run)."""
    return lesson.claim(runs)
