"""The command line (forecast/cli/run.py)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.cli.parser import build_parser
from forecast.config import FIELD_NAMES
from tests.conftest import BAD_INPUTS, TINY

ROOT = Path(__file__).resolve().parents[2]
TINY_FLAGS = [part for name, value in TINY.items() for part in (f"--{name.replace('_', '-')}", str(value))]


def run_cli(*arguments: str, env_cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forecast", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"FORECAST_CACHE_DIR": str(env_cache), "PATH": "/usr/bin:/bin", "HOME": str(env_cache)},
    )


def test_every_config_field_is_a_flag():
    parser = build_parser()
    destinations = {action.dest for action in parser._actions}
    assert set(FIELD_NAMES) <= destinations
    flags = {option for action in parser._actions for option in action.option_strings}
    assert {"--x-start", "--batch-size", "--learning-rate", "--json", "--no-cache", "--plot"} <= flags


def test_help_exits_zero_and_lists_every_field(isolated_cache):
    completed = run_cli("--help", env_cache=isolated_cache)
    assert completed.returncode == 0, completed.stderr
    for name in FIELD_NAMES:
        assert f"--{name.replace('_', '-')}" in completed.stdout
    assert "%%" not in completed.stdout


def test_json_output_and_cache_in_a_real_process(isolated_cache):
    first = run_cli(*TINY_FLAGS, "--json", env_cache=isolated_cache)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["n_points"] == 80 and summary["epochs_run"] == 2 and summary["cached"] is False
    assert set(summary["metrics"]) == {"lstm", "naive", "linear_ar"}
    for model in summary["metrics"].values():
        assert set(model) == {"one_step", "recursive"}
        assert set(model["one_step"]) == {"rmse", "mae", "r2", "mase"}
    assert summary["metrics"]["linear_ar"]["one_step"]["rmse"] < 1e-6
    assert "Traceback" not in first.stderr and "oneDNN" not in first.stderr
    second = run_cli(*TINY_FLAGS, "--json", env_cache=isolated_cache)
    again = json.loads(second.stdout)
    assert again["cached"] is True
    assert again["metrics"] == summary["metrics"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--expression", "__import__('os').system('id')"], "__import__"),
        (["--expression", "().__class__.__bases__[0].__subclasses__()"], "__subclasses__"),
        (["--expression", "open('/etc/passwd').read()"], "open"),
        (["--expression", "log(x)"], "NaN at x = -20"),
        (["--lookback", "400"], "lookback 400 is above the maximum of 100"),
        (["--lookback", "abc"], "invalid int value"),
        (["--x-step", "0"], "x_step"),
        (["--scaling", "minmax"], "scaling must be one of"),
        (["--epochs", "1000", "--units", "256", "--layers", "5"], "budget"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_invalid_input_exits_2_with_one_line(arguments, message, capsys):
    with pytest.raises(SystemExit) as caught:
        main(arguments)
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert message in lines[0]


def test_escape_attempt_runs_nothing_in_a_real_process(isolated_cache, tmp_path):
    marker = tmp_path / "pwned"
    completed = run_cli(
        "--expression", f"__import__('os').system('touch {marker}')", "--json", env_cache=isolated_cache
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert len(completed.stderr.strip().splitlines()) == 1
    assert "Traceback" not in completed.stderr
    assert not marker.exists()


def test_text_output_progress_and_plot(tmp_path, capsys):
    plot = tmp_path / "chart.html"
    assert main([*TINY_FLAGS, "--epochs", "4", "--progress-every", "2", "--plot", str(plot), "--no-cache"]) == 0
    captured = capsys.readouterr()
    assert "epoch 2/4" in captured.err and "epoch 4/4" in captured.err
    assert "linear_ar" in captured.out and "rmse" in captured.out
    html = plot.read_text()
    assert "plotly" in html.lower() and "LSTM one-step (test)" in html


def test_no_cache_writes_nothing(isolated_cache, capsys):
    assert main([*TINY_FLAGS, "--json", "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is False
    assert not any(isolated_cache.glob("*.npz"))


def flags_for(changes: dict) -> list[str]:
    values = TINY | changes
    return [part for name, value in values.items() for part in (f"--{name.replace('_', '-')}", str(value))]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUTS)
def test_every_kind_of_bad_input_exits_2_with_a_clear_line(changes, message, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*flags_for(changes), "--json"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err


def test_csv_file_and_bundled_dataset(tmp_path, capsys):
    path = tmp_path / "series.csv"
    path.write_text("t,level\n" + "".join(f"{index},{(index % 7) * 0.5}\n" for index in range(40)))
    assert main([*TINY_FLAGS, "--csv", str(path), "--x-column", "t", "--lookback", "3", "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["config"]["source"] == "upload" and len(summary["config"]["upload"]) == 64
    assert summary["n_points"] == 40 and summary["config"]["expression"] == "x*sin(x)"
    assert main(["--source", "dataset", "--dataset", "lake_huron", "--epochs", "2", "--units", "4", "--layers", "1",
                 "--json", "--no-cache"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["n_points"] == 98


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01binary", "binary data"),
        (b"a,b\n1,2\n", "at least 20"),
        (b"name\n" + b"text\n" * 30, "no column of numbers"),
    ],
)
def test_bad_csv_exits_2(content, message, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as caught:
        main(["--csv", str(path), "--json"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_missing_csv_file_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--csv", "/nonexistent/file.csv"])
    assert caught.value.code == 2 and "cannot read" in capsys.readouterr().err


def test_an_ensemble_is_one_model_and_its_time_is_the_whole_runs(capsys):
    assert main([*TINY_FLAGS, "--ensemble", "2", "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["config"]["ensemble"] == 2 and summary["networks"] == 2
    assert summary["ensemble"]["size"] == 2 and summary["ensemble"]["seeds"] == [0, 1]
    # metrics.lstm is the members' mean forecast, whose error lies between (or below) the members' own.
    low, high = summary["ensemble"]["member_rmse_range"]["one_step"]
    assert summary["metrics"]["lstm"]["one_step"]["rmse"] <= high
    assert main([*TINY_FLAGS, "--seed", "1", "--json", "--no-cache"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["metrics"]["lstm"]["one_step"]["rmse"] in (low, high)


def test_a_horizon_forecasts_past_the_data_and_scores_the_function_there(capsys):
    assert main([*TINY_FLAGS, "--horizon", "4", "--backtest-windows", "2", "--interval", "80", "--no-cache"]) == 0
    text = capsys.readouterr().out
    assert "truth" in text and "lstm lower" in text and "backtest over 2 windows" in text
    assert main([*TINY_FLAGS, "--horizon", "4", "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    future = summary["future"]
    assert future["x"] == [10.0, 10.25, 10.5, 10.75] and len(future["truth"]) == 4
    assert set(future["metrics"]["lstm"]) == {"rmse", "mae", "r2", "mase"}
    assert future["models"]["lstm"]["lower"] is None  # no interval asked for
    assert summary["networks"] == 2 and len(summary["backtest"]["windows"]) == 1


def test_a_csv_is_read_as_the_app_reads_it(tmp_path, capsys):
    # A date column after the values, and no column flags: the app picks the dates as x, and so does the CLI.
    months = [f"{1990 + month // 12}-{month % 12 + 1:02d}-01" for month in range(48)]
    path = tmp_path / "monthly.csv"
    path.write_text("sales,month\n" + "".join(f"{100 + (m % 12) * 3 + m},{d}\n" for m, d in enumerate(months)))
    assert main(["--csv", str(path), *TINY_FLAGS[6:], "--lookback", "4", "--horizon", "3", "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["config"]["x_column"] == "month" and summary["config"]["value_column"] == "sales"
    assert summary["future"]["x"] == ["1994-01-01", "1994-02-01", "1994-03-01"]
    # The season its dates suggest, as the app's sidebar says it, without the preset too.
    assert (summary["frequency"], summary["suggested_season"], summary["missing_dates"]) == ("monthly", 12, 0)
    gapped = tmp_path / "gapped.csv"
    lines = path.read_text().splitlines()
    gapped.write_text("\n".join(lines[:10] + lines[11:]) + "\n")  # one month left out
    assert main(["--csv", str(gapped), *TINY_FLAGS[6:], "--lookback", "4", "--no-cache"]) == 0
    assert "note: 1 date missing at this frequency" in capsys.readouterr().out
    assert main(["--csv", str(path), *TINY_FLAGS[6:], "--lookback", "4", "--no-cache"]) == 0
    assert "monthly data: suggested season length 12 (--season-length 12)" in capsys.readouterr().out
    # A file and another source at once is a contradiction, refused rather than one of them dropped.
    with pytest.raises(SystemExit) as caught:
        main(["--csv", str(path), "--source", "expression"])
    assert caught.value.code == 2
    assert "leave out --source expression" in capsys.readouterr().err


def test_an_expression_that_starts_with_a_minus_is_a_value_not_a_flag(capsys):
    assert main([*TINY_FLAGS, "--expression", "-x*sin(x)", "--x-start", "-4", "--json", "--no-cache"]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert (config["expression"], config["x_start"]) == ("-x*sin(x)", -4.0)
    with pytest.raises(SystemExit):  # a flag where the value should be is still refused
        main(["--expression", "--epochs", "1"])
    assert "argument --expression: expected one argument" in capsys.readouterr().err


def test_a_chart_file_that_cannot_be_written_is_refused_before_training(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*TINY_FLAGS, "--plot", str(tmp_path / "no-such-folder" / "chart.html")])
    captured = capsys.readouterr()
    assert caught.value.code == 2 and "choose another --plot file" in captured.err and "epoch" not in captured.err


def _sigint_as_a_terminal_has_it() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_with_one_line_and_keeps_the_networks_already_trained(isolated_cache):
    """Ctrl-C after the first network: exit 130, one line instead of a traceback, and the next run of the same
    command trains only what is missing."""
    flags = ["--source", "dataset", "--dataset", "airline_passengers", "--lookback", "4", "--layers", "1",
             "--units", "8", "--epochs", "1000", "--batch-size", "8", "--horizon", "3", "--backtest-windows", "2",
             "--test-size", "6"]  # fmt: skip
    environment = {"FORECAST_CACHE_DIR": str(isolated_cache), "PATH": "/usr/bin:/bin", "HOME": str(isolated_cache)}
    process = subprocess.Popen(
        [sys.executable, "-m", "forecast", *flags], cwd=ROOT, env=environment, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        # A test run started in the background (`pytest &` from a script) ignores SIGINT, and a child inherits
        # that: Python then installs no Ctrl-C handler. A terminal's command has the default, as here.
        preexec_fn=_sigint_as_a_terminal_has_it,
    )  # fmt: skip
    lines = []
    for line in process.stderr:  # the announcement of each network, printed before it trains
        lines.append(line)
        if line.startswith("network 2 of 3"):
            os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
            break
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130, "".join(lines) + rest
    assert "Traceback" not in rest and "python -m forecast: stopped; the networks already trained are cached" in rest
    again = run_cli(*flags, "--json", env_cache=isolated_cache)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["networks"], summary["networks_trained"]) == (3, 2)
