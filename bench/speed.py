"""Speed benchmark: the original recipe's Keras `fit` against the project's trainer, seed by seed; then many
networks trained together against the same networks one at a time (bench/many.py).

    python -m bench.speed                 # both parts, about fifteen minutes on two cores
    python -m bench.speed --part original --seeds 0 1 2 3 4
    python -m bench.speed --part many --repeats 3
    python -m bench.speed --part page --repeats 3   # the full recipe run's first result: page vs command line

For each seed it runs, back to back and each in a fresh process, the faithful reference (bench/reference.py)
and the same recipe through the project (`python -m forecast` with ORIGINAL_FLAGS, `--no-cache --json`), then
the default config. It prints fit seconds and test one-step RMSE for each, the per-seed ratio, and medians,
then the two figures the project is held to: the speed-up (target ≥ 10×) and the default config's test RMSE
(target ≤ 0.10).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The blog post's recipe: raw values, 200 epochs of batch 50, Keras's Adam at its constant default rate.
ORIGINAL_FLAGS = [
    *("--scaling", "none", "--epochs", "200", "--batch-size", "50"),
    *("--learning-rate", "0.001", "--schedule", "constant"),
]
SPEED_TARGET = 10.0
DEFAULT_RMSE_TARGET = 0.10


def _run(command: list[str]) -> dict:
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def reference(seed: int) -> dict:
    return _run([sys.executable, "-m", "bench.reference", "--seed", str(seed)])


def project(seed: int, flags: list[str]) -> dict:
    summary = _run([sys.executable, "-m", "forecast", *flags, "--seed", str(seed), "--no-cache", "--json"])
    return {"fit_seconds": summary["fit_seconds"], "rmse": summary["metrics"]["lstm"]["one_step"]["rmse"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Original recipe: reference fit vs the project's trainer.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--part", choices=["original", "many", "page", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement of the many part")
    arguments = parser.parse_args()
    if arguments.part in ("original", "all"):
        original_recipe(arguments.seeds)
    if arguments.part in ("many", "all"):
        from bench import many

        walls = many.command_lines(arguments.repeats)
        many.report(many.in_process(arguments.repeats), walls)
    if arguments.part in ("page", "all"):
        from bench import many

        pages, commands = many.page_against_command_line(arguments.repeats)
        ratios = [page / command for page, command in zip(pages, commands, strict=True)]
        print(
            f"full recipe run, first result: page {statistics.median(pages):.1f} s, command line "
            f"{statistics.median(commands):.1f} s (medians of {len(pages)}); page/command line per pair "
            f"{', '.join(f'{ratio:.2f}×' for ratio in ratios)}, median {statistics.median(ratios):.2f}×"
        )
    print(
        f"command: python -m bench.speed --part {arguments.part} --seeds {' '.join(map(str, arguments.seeds))} "
        f"--repeats {arguments.repeats}"
    )


def original_recipe(seeds: list[int]) -> None:
    """The reference Keras fit against the project's trainer on the blog post's recipe, seed by seed."""
    rows = []
    print(
        f"{'seed':>4} {'reference s':>12} {'project s':>10} {'ratio':>6} {'ref RMSE':>9} {'proj RMSE':>10} "
        f"{'default s':>10} {'default RMSE':>13}"
    )
    for seed in seeds:
        ref = reference(seed)
        original = project(seed, ORIGINAL_FLAGS)
        default = project(seed, [])
        ratio = ref["fit_seconds"] / original["fit_seconds"]
        rows.append((ref, original, default, ratio))
        print(
            f"{seed:>4} {ref['fit_seconds']:>12.2f} {original['fit_seconds']:>10.2f} {ratio:>6.2f} "
            f"{ref['rmse']:>9.3f} {original['rmse']:>10.3f} {default['fit_seconds']:>10.2f} {default['rmse']:>13.3f}",
            flush=True,
        )

    def median(values):
        return statistics.median(values)

    ref_seconds = median(row[0]["fit_seconds"] for row in rows)
    project_seconds = median(row[1]["fit_seconds"] for row in rows)
    ref_rmse = median(row[0]["rmse"] for row in rows)
    print(
        f"\nmedian: reference fit {ref_seconds:.2f} s, project fit {project_seconds:.2f} s, "
        f"speed-up {ref_seconds / project_seconds:.2f}× (median of per-seed ratios "
        f"{median(row[3] for row in rows):.2f}×)"
    )
    print(
        f"median test one-step RMSE: reference {ref_rmse:.3f} (range {min(r[0]['rmse'] for r in rows):.3f}–"
        f"{max(r[0]['rmse'] for r in rows):.3f}), project original recipe {median(r[1]['rmse'] for r in rows):.3f}, "
        f"project default config {median(r[2]['rmse'] for r in rows):.3f}"
    )
    speed_up = median(row[3] for row in rows)
    default_rmse = median(row[2]["rmse"] for row in rows)
    print(
        f"FIGURES: original recipe {speed_up:.1f}× faster than Keras fit (median of per-seed ratios, target ≥ "
        f"{SPEED_TARGET:g}×: {'met' if speed_up >= SPEED_TARGET else 'NOT met'}); default config test one-step "
        f"RMSE {default_rmse:.3f} (median, target ≤ {DEFAULT_RMSE_TARGET:g}: "
        f"{'met' if default_rmse <= DEFAULT_RMSE_TARGET else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
