"""Sweep benchmark: a 16-cell sweep on the local process pool (1 and 2 workers) and on a local Ray cluster.

    python -m bench.sweep                          # several minutes (13 on a busy 2-core machine)
    python -m bench.sweep --repeats 5 --epochs 50 --vary lookback=4,6,8,10 --vary units=8,16,24,32

The three backends are started side by side: the pool with FORECAST_MAX_CONCURRENT=1, the pool with 2, and a
Ray cluster started here with `ray start --head --num-cpus 2` (each training reserves one Ray CPU, so two train
at once, like the pool with 2 workers). Each first trains the sweep with seed 0 (cold: its workers start and
import TensorFlow during the sweep). Then, repeat by repeat, each trains the sweep with a new seed (warm: nothing
cached, the same workers), the backends taking turns so that other load on the machine falls on all of them
alike; the table shows the median wall time and the median of the per-repeat speed-ups against the pool with one
worker. Every cell's numbers must be identical on the three backends; the benchmark says so, or fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from forecast import sweep
from forecast.config import Config
from forecast.training import JobState, TrainingService, ray_backend
from tests.ray_cluster import LocalRayCluster

DEFAULT_VARY = ["lookback=4,6,8,10", "units=8,16,24,32"]


def _time_sweep(submit: Callable[[Config], Any], cells: list[Config]) -> tuple[float, list[dict]]:
    """Submit every cell at once and wait for all: wall seconds, and each cell's metrics."""
    started = time.monotonic()
    jobs = [submit(cell) for cell in cells]
    for job in jobs:
        job.wait()
    elapsed = time.monotonic() - started
    failed = [job.error for job in jobs if job.state != JobState.DONE]
    if failed:
        raise SystemExit(f"{len(failed)} cells failed: {failed[0]}")
    return elapsed, [job.result.metrics for job in jobs]


def main() -> None:
    parser = argparse.ArgumentParser(description="A 16-cell sweep on the local pool and on a local Ray cluster.")
    parser.add_argument("--vary", action="append", help="FIELD=VALUES, as for the sweep command (twice at most)")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    definition = sweep.Sweep.from_options(arguments.vary or DEFAULT_VARY)
    base = Config(epochs=arguments.epochs)
    cells_by_seed = [sweep.expand(base.replace(seed=seed), definition) for seed in range(arguments.repeats + 1)]
    print(
        f"sweep {definition.to_query_value()} ({definition.size} cells), epochs {arguments.epochs}, other fields "
        f"default; cold run, then {arguments.repeats} warm repeats taking turns",
        flush=True,
    )
    # Workers are recycled as in the app (every 10 trainings): the pool keeps its own queue, so a backlog of
    # cells submitted at once is safe, and recycling is part of what a sweep costs.
    pools = {workers: TrainingService(max_concurrent=workers) for workers in (1, 2)}
    cluster = LocalRayCluster(num_cpus=2).start()
    on_ray = None
    try:
        # The same service (jobs, deduplication) over the Ray backend, as the app and the CLI use it.
        on_ray = TrainingService(backend=ray_backend.RayBackend(cluster.address))
        backends = {
            "local pool, 1 worker": pools[1].submit,
            "local pool, 2 workers": pools[2].submit,
            "Ray, 2 CPUs": on_ray.submit,
        }
        cold: dict[str, float] = {}
        warm: dict[str, list[float]] = {name: [] for name in backends}
        metrics: dict[str, list[list[dict]]] = {name: [] for name in backends}
        for name, submit in backends.items():
            seconds, cell_metrics = _time_sweep(submit, cells_by_seed[0])
            cold[name] = seconds
            metrics[name].append(cell_metrics)
            print(f"cold   {name:<22} {seconds:7.2f} s", flush=True)
        names = list(backends)
        for repeat in range(arguments.repeats):
            order = names[repeat % len(names) :] + names[: repeat % len(names)]  # each backend goes first once
            for name in order:
                seconds, cell_metrics = _time_sweep(backends[name], cells_by_seed[repeat + 1])
                warm[name].append(seconds)
                metrics[name].append(cell_metrics)
                print(f"warm {repeat + 1} {name:<22} {seconds:7.2f} s", flush=True)
    finally:
        if on_ray is not None:
            on_ray.shutdown()
        cluster.stop()
        for pool in pools.values():
            pool.shutdown()
    baseline = "local pool, 1 worker"
    print(f"\n{'backend':<22} {'cold s':>8} {'warm s (median)':>16} {'speed-up (median)':>18}")
    for name in backends:
        ratios = [a / b for a, b in zip(warm[baseline], warm[name], strict=True)]
        print(
            f"{name:<22} {cold[name]:>8.2f} {statistics.median(warm[name]):>16.2f} {statistics.median(ratios):>17.2f}x"
        )
    pool_over_ray = [a / b for a, b in zip(warm["local pool, 2 workers"], warm["Ray, 2 CPUs"], strict=True)]
    print(f"Ray (2 CPUs) against the pool with 2 workers: {statistics.median(pool_over_ray):.2f}x (median, warm)")
    identical = all(metrics[name] == metrics[baseline] for name in backends)
    print(f"every cell's metrics identical on all backends: {'yes' if identical else 'NO'}")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
