"""Many networks at the price of few: the measurements behind `python -m bench.speed --part many`.

Each figure compares work done together (teams of networks, each fold's baselines fitted and evaluated once: what
the app's workers and the command line do) with the same work done one network at a time (`pipeline.compute` per
network, the way every run trained before), side by side in one process, alternating, medians of `repeats`. The
recipe's figures also time the command line itself, each run a fresh process as a person meets it, and its peak
memory.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The airline recipe exactly as the README's examples run it; the second adds the future and three windows.
RECIPE_FLAGS = ["--source", "dataset", "--dataset", "airline_passengers", "--preset", "real", "--test-size", "12"]
ONE_WINDOW = ["--backtest-windows", "1", "--horizon", "0"]
FULL_RUN = ["--horizon", "12", "--backtest-windows", "3"]
SWEEP_SEEDS = (0, 1, 2, 3)
SWEEP_RATES = (0.0005, 0.001, 0.002, 0.005)
ENSEMBLE_TARGET, RECIPE_TARGET, SWEEP_TARGET, MEMORY_TARGET_MB = 1.5, 2.0, 4.0, 1024


def recipe_config(extra: Sequence[str]):
    """The config `python -m forecast` builds for the airline recipe with `extra` flags."""
    from forecast.cli.parser import RUN_PROGRAM, build_parser, request_from

    return request_from(RUN_PROGRAM, build_parser().parse_args([*RECIPE_FLAGS, *extra])).config


def _plan(config):
    from forecast.data import load_series
    from forecast.run import pipeline

    run_plan = pipeline.plan(config, load_series(config))
    return [task.config for task in run_plan.tasks], [run_plan.datasets[task.fold] for task in run_plan.tasks]


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds of the work, and the seconds its networks spent training (the trainer's own clock)."""
    from forecast.run import pipeline

    pipeline._fitted.cache_clear()  # every measurement fits its own ARIMA and ETS, as a fresh worker does
    started = time.perf_counter()
    results = work()
    seconds = time.perf_counter() - started
    results = results if isinstance(results, list) else [results]
    return seconds, sum(result.fit_seconds for result in results)


def side_by_side(ways: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, training) seconds of each way of doing the work, the ways alternating so that all meet the
    same machine."""
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, work in ways.items():
            seconds[name].append(_timed(work))
    return {
        name: (statistics.median(wall for wall, _ in values), statistics.median(fit for _, fit in values))
        for name, values in seconds.items()
    }


def fits_in_turn(work: Callable[[], object]) -> Callable[[], object]:
    """The work with each fold's baselines fitted on the training thread after its team has trained, never on a
    thread beside it (`pipeline._baselines_beside`)."""
    from forecast.run import pipeline

    def in_turn() -> object:
        beside = pipeline._baselines_beside
        pipeline._baselines_beside = lambda *arguments, **keywords: None
        try:
            return work()
        finally:
            pipeline._baselines_beside = beside

    return in_turn


def in_process(repeats: int) -> dict[str, dict[str, tuple[float, float]]]:
    """One network, an ensemble of 5, the full recipe and a 16-cell sweep: together and one at a time; one network
    also with the classical fits in turn rather than on a thread beside its training (teams of more than one
    network fit them in turn: `pipeline._baselines_beside`)."""
    from forecast.models.lstm import trainer
    from forecast.run import pipeline

    trainer.warm_up()
    figures = {}
    configs, datasets = _plan(recipe_config(ONE_WINDOW))
    one = lambda: pipeline.compute(configs[0], datasets[0])  # noqa: E731
    # Untimed: the first run imports statsmodels and sets up the first fits (about a second), which made the
    # first "one network" of the table an outlier and moved its median.
    one()
    figures["ensemble of 5"] = side_by_side(
        {
            "one network": one,
            "together": lambda: pipeline.compute_many(configs, datasets),
            "one at a time": lambda: [pipeline.compute(c, d) for c, d in zip(configs, datasets, strict=True)],
            "one network, fits in turn": fits_in_turn(one),
        },
        repeats,
    )
    full_configs, full_datasets = _plan(recipe_config(FULL_RUN))
    figures["recipe, horizon 12, 3 windows, 5 members"] = side_by_side(
        {
            "one network": one,
            "together": lambda: pipeline.compute_many(full_configs, full_datasets),
            "one at a time": lambda: [pipeline.compute(c, d) for c, d in zip(full_configs, full_datasets, strict=True)],
        },
        repeats,
    )
    cells = [configs[0].replace(seed=seed, learning_rate=rate) for seed in SWEEP_SEEDS for rate in SWEEP_RATES]
    figures["sweep of 16 cells, seed × learning rate"] = side_by_side(
        {
            "one network": one,
            "together": lambda: pipeline.compute_many(cells, [datasets[0]] * len(cells)),
            "one at a time": lambda: [pipeline.compute(cell, datasets[0]) for cell in cells],
        },
        repeats,
    )
    return figures


def command_line(extra: Sequence[str]) -> tuple[float, float, float]:
    """Wall seconds and peak memory (MB) of `python -m forecast` with the recipe flags, in a fresh process, and
    the peak of its largest child (the side process that fits ARIMA and ETS; 0 where /proc cannot be read)."""
    probe = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['forecast', *{[*RECIPE_FLAGS, *extra, '--json', '--no-cache']!r}]\n"
        "try:\n    runpy.run_module('forecast', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stderr:  # a file, not a pipe, which a long message could fill
        process = subprocess.Popen([sys.executable, "-c", probe], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        # RUSAGE_CHILDREN's peak counts a spawned child's pages from before its exec (it read 614 MB for a process
        # that `ps` saw at 250 MB at most), so the children's own high-water marks are read while they live.
        child_peak = 0.0
        while process.poll() is None:
            child_peak = max(child_peak, _children_peak_mb(process.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        stderr.seek(0)
        message = stderr.read()
    if process.returncode != 0:
        raise SystemExit(f"the recipe run failed:\n{message}")
    return seconds, int(message.strip().splitlines()[-1]) / 1024, child_peak


def _children_peak_mb(pid: int) -> float:
    """The highest peak resident memory (VmHWM) among a process's living children, in MB (Linux /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    peak = 0.0
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def command_lines(repeats: int) -> dict[str, tuple[float, float, float]]:
    """Median wall seconds and the highest peak memory of the two recipe runs (the process's, its side
    process's), alternating."""
    runs: dict[str, list[tuple[float, float, float]]] = {"one window, no future": [], "horizon 12, 3 windows": []}
    for _ in range(repeats):
        runs["one window, no future"].append(command_line(ONE_WINDOW))
        runs["horizon 12, 3 windows"].append(command_line(FULL_RUN))
    return {
        name: (
            statistics.median(run[0] for run in values),
            max(run[1] for run in values),
            max(run[2] for run in values),
        )
        for name, values in runs.items()
    }


def report(figures: dict[str, dict[str, tuple[float, float]]], walls: dict[str, tuple[float, float, float]]) -> None:
    """Print the table (wall seconds, then training seconds alone) and the figures held against the goals."""
    print(
        f"\n{'work':42} {'one network':>12} {'together':>10} {'one at a time':>14} {'together/one':>13} "
        f"{'one at a time/together':>23}"
    )
    for work, seconds in figures.items():
        for part, label in ((0, "wall"), (1, "training")):
            one, together, alone = (seconds[way][part] for way in ("one network", "together", "one at a time"))
            print(
                f"{work + ' · ' + label:42} {one:>11.2f}s {together:>9.2f}s {alone:>13.2f}s {together / one:>12.2f}× "
                f"{alone / together:>22.2f}×"
            )
    ensemble = figures["ensemble of 5"]
    print(
        "\none network, ARIMA and ETS fitted in turn after its training → on a thread beside it (wall, medians): "
        f"{ensemble['one network, fits in turn'][0]:.2f} → {ensemble['one network'][0]:.2f} s"
    )
    training, whole = (ensemble["together"][part] / ensemble["one network"][part] for part in (1, 0))
    sweep = figures["sweep of 16 cells, seed × learning rate"]
    base, full = walls["one window, no future"], walls["horizon 12, 3 windows"]
    print(f"\ncommand line (fresh process, median): one window {base[0]:.1f} s, full run {full[0]:.1f} s")
    print(
        f"FIGURES: ensemble of 5: training {training:.2f}× one network's (target ≤ {ENSEMBLE_TARGET}×), whole "
        f"run {whole:.2f}×; "
        f"full recipe run {full[0] / base[0]:.2f}× the one-window run on the command line (target ≤ {RECIPE_TARGET}×); "
        f"16-cell sweep {sweep['together'][0] / sweep['one network'][0]:.2f}× one cell (target ≤ {SWEEP_TARGET}×); "
        f"peak memory of the full run {full[1]:.0f} MB (target < {MEMORY_TARGET_MB} MB; its side process for "
        f"ARIMA and ETS {full[2]:.0f} MB)"
    )


def page_against_command_line(repeats: int) -> tuple[list[float], list[float]]:
    """The full recipe run's first result in the page against the same run on the command line, pair by pair.

    Each page visit is a fresh app server (the README's way: a checkout with its own `.venv`, `streamlit run
    app.py`) with an empty cache, opened the moment it answers; each command line a fresh process, just before."""
    import json
    import tempfile
    from pathlib import Path
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    from bench.latency import MOMENTS, OBSERVER, make_checkout, visit
    from forecast.config.fields import to_query_params
    from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, IDLE, StreamlitServer

    link = "?" + urlencode(to_query_params(recipe_config(FULL_RUN)))
    pages, commands = [], []
    with tempfile.TemporaryDirectory() as temporary, sync_playwright() as playwright:
        folder = Path(temporary)
        checkout = make_checkout(folder / "checkout")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for repeat in range(repeats):
            commands.append(command_line(FULL_RUN)[0])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(OBSERVER % (json.dumps(MOMENTS), json.dumps(IDLE)))
            app = StreamlitServer(
                {"FORECAST_CACHE_DIR": str(folder / f"cache-{repeat}")}, checkout / "app.py", file_watcher=None,
                cwd=checkout, python=str(checkout / ".venv/bin/python"),
            )  # fmt: skip
            with app:
                pages.append(visit(page, app.url + link, timeout_ms=900_000)["result"])
            page.close()
        browser.close()
    return pages, commands
