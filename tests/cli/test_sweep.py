"""The command line's `sweep` subcommand (forecast/cli/sweep.py) and the --ray-address contract."""

import json

import pytest

from forecast import sweep
from forecast.cli import main
from forecast.config import Config
from forecast.run.pipeline import run
from tests.cli.test_run import TINY_FLAGS, run_cli
from tests.conftest import TINY
from tests.ray_cluster import free_port


def _flat(metrics: dict) -> dict:
    return {
        (model, kind, name): value
        for model, kinds in metrics.items()
        for kind, values in kinds.items()
        for name, value in values.items()
    }


def test_a_sweep_in_a_real_process_matches_single_runs_and_reuses_the_cache(isolated_cache):
    arguments = ["sweep", "--vary", "lookback=4,6", "--vary", "units=2,4", *TINY_FLAGS, "--json"]
    first = run_cli(*arguments, env_cache=isolated_cache)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    summary = json.loads(first.stdout)
    assert [(cell["config"]["lookback"], cell["config"]["units"]) for cell in summary["cells"]] == [
        (4, 2),
        (4, 4),
        (6, 2),
        (6, 4),
    ]
    assert [cell["cached"] for cell in summary["cells"]] == [False] * 4
    assert all(cell["fit_seconds"] > 0 for cell in summary["cells"])
    recursive = [cell["metrics"]["lstm"]["recursive"]["rmse"] for cell in summary["cells"]]
    assert summary["best"] == summary["cells"][recursive.index(min(recursive))]
    # Each cell's numbers are those of a single run of its config, trained here in this process (to 1e-6, as
    # DESIGN §3.5 asks: the linear AR's error on this smooth curve is ~1e-14, at the level of rounding, and its
    # least squares rounds differently in a worker process than here).
    cells = sweep.expand(Config(**TINY), sweep.Sweep.from_options(["lookback=4,6", "units=2,4"]))
    for cell, reported in zip(cells, summary["cells"], strict=True):
        assert reported["config"] == cell.to_dict()
        assert _flat(reported["metrics"]) == pytest.approx(_flat(run(cell).summary()["metrics"]), rel=1e-6, abs=1e-9)
    # Again: every cell comes from the cache, with the same numbers, and nothing trains.
    second = run_cli(*arguments, env_cache=isolated_cache)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert [cell["cached"] for cell in again["cells"]] == [True] * 4
    assert [cell["metrics"] for cell in again["cells"]] == [cell["metrics"] for cell in summary["cells"]]


def test_text_output_counts_cells_and_names_the_best(isolated_cache):
    completed = run_cli("sweep", "--vary", "seed=0,1", *TINY_FLAGS, env_cache=isolated_cache)
    assert completed.returncode == 0, completed.stderr
    assert "sweep seed:0,1: 2 cells, 0 cached" in completed.stderr
    # Cells trained as one team finish together, so "1 of 2 done" may or may not be printed on its own.
    assert completed.stderr.rstrip().endswith("2 of 2 done")
    lines = completed.stdout.splitlines()
    assert lines[0].split()[:3] == ["seed", "one-step", "rmse"]
    assert lines[-2].startswith("best by recursive RMSE: seed=")
    assert lines[-1].startswith("baselines on the same test part: naive ")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--vary", "nodes=1,2"], "Config has no field 'nodes'; a sweep can vary lookback, units"),
        (["--vary", "scaling=none"], "scaling cannot be swept"),
        (["--vary", "lookback=4,101"], "lookback 101 is above the maximum of 100"),
        (["--vary", "dropout=0.1,abc"], "dropout takes numbers, got 'abc'"),
        (["--vary", "lookback=1:70:1"], "has 70 values: a sweep has at most 64 cells"),
        (["--vary", "seed=0:9:1", "--vary", "units=1:10:1"], "this sweep has 100 cells"),
        (["--vary", "lookback=4", "--vary", "units=2", "--vary", "seed=1"], "a sweep varies 1 or 2 fields, got 3"),
        (["--vary", "lookback"], "has no '='"),
        (["--vary", "lookback=4,79"], "sweep cell lookback=79: "),
        # 80 points: each cell takes 60,000 optimizer steps (within one training's budget), the ten together 600,000.
        (["--vary", "seed=0:9:1", "--epochs", "1000", "--batch-size", "1"], "optimizer steps over its 10 cells"),
        ([], "the following arguments are required: --vary"),
        (["--vary", "lookback=4", "--lookback", "abc"], "invalid int value"),
    ],
)
def test_bad_sweeps_exit_2_with_one_line(arguments, message, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["sweep", *TINY_FLAGS, *arguments, "--json"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err


def test_an_unreachable_cluster_exits_2_for_a_sweep_and_a_single_run(monkeypatch, capsys):
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(SystemExit) as caught:
        main(["sweep", "--vary", "seed=0,1", *TINY_FLAGS, "--json", "--no-cache", "--ray-address", address])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"python -m forecast sweep: error: Cannot reach the Ray cluster at {address}; ")
    assert len(error.strip().splitlines()) == 1
    # A single run reads the address from the environment too.
    monkeypatch.setenv("FORECAST_RAY_ADDRESS", address)
    with pytest.raises(SystemExit) as caught:
        main([*TINY_FLAGS, "--json", "--no-cache"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"Cannot reach the Ray cluster at {address}; " in captured.err


def test_a_cached_single_run_needs_no_cluster(monkeypatch, capsys):
    # Trained here first; then, with an address where nothing listens, the cached result still comes back.
    assert main([*TINY_FLAGS, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("FORECAST_RAY_ADDRESS", f"127.0.0.1:{free_port()}")
    assert main([*TINY_FLAGS, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["cached"] is True and again["metrics"] == first["metrics"]


def test_sweep_help_lists_vary_and_the_ray_address(isolated_cache):
    completed = run_cli("sweep", "--help", env_cache=isolated_cache)
    assert completed.returncode == 0, completed.stderr
    assert "--vary FIELD=VALUES" in completed.stdout and "--ray-address" in completed.stdout
    assert "--lookback" in completed.stdout and "--plot" not in completed.stdout


def test_a_sweep_over_an_uploaded_csv_sends_the_series_to_the_workers(tmp_path, isolated_cache):
    path = tmp_path / "series.csv"
    path.write_text("t,level\n" + "".join(f"{index},{(index % 7) * 0.5}\n" for index in range(40)))
    completed = run_cli(
        "sweep", "--vary", "lookback=3,4", *TINY_FLAGS, "--csv", str(path), "--json", env_cache=isolated_cache
    )
    assert completed.returncode == 0, completed.stderr
    cells = json.loads(completed.stdout)["cells"]
    assert [cell["config"]["lookback"] for cell in cells] == [3, 4]
    assert all(cell["config"]["source"] == "upload" and len(cell["config"]["upload"]) == 64 for cell in cells)
