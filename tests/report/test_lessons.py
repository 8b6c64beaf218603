"""What to try: every claim comes from the run it links to."""

from forecast.config import Config
from forecast.report import lessons
from forecast.run import pipeline
from tests.conftest import TINY


def test_a_lesson_says_nothing_until_its_run_exists():
    for lesson in lessons.LESSONS:
        assert lessons.claim(lesson, [None] * len(lesson.changes)) is None


def test_the_claims_are_the_runs_numbers():
    defaults = Config(**TINY).replace(epochs=3, snapshot_every=1)
    first, second = (lessons.LESSONS[1], lessons.LESSONS[0])
    runs = [pipeline.run_all(config) for config in lessons.configs(first, defaults)]
    said = lessons.claim(first, runs)
    rmse = [run.result.metrics["lstm"]["recursive"]["rmse"] for run in runs]
    assert f"lookback 1: recursive RMSE {rmse[0]:.3g}" in said and f"lookback 20: recursive RMSE {rmse[1]:.3g}" in said
    # The two lookbacks leave test parts of different lengths, and the claim says over how many steps each is.
    lengths = [run.result.n_test for run in runs]
    assert lengths[0] != lengths[1] and all(f"over {length} steps" in said for length in lengths)
    better = 1 if rmse[0] < rmse[1] else 20
    assert f"lookback {better} did better" in said
    assert "open the other" in lessons.claim(first, [runs[0], None])
    (original,) = lessons.configs(second, defaults)
    run = pipeline.run_all(original)
    said = lessons.claim(second, [run])
    assert f"{run.result.metrics['lstm']['one_step']['rmse']:.3g}" in said and "At epoch 1" in said
