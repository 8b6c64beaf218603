"""The Ray backend against a real Ray cluster that this module starts (2 CPUs, small object store) and stops.

The backend is driven as the app and the CLI drive it: behind a `TrainingService` (jobs, the cache). One cluster
for the module. The last test kills it mid-training, as `ray stop --force` would; the module's
teardown then checks that none of its processes is left.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

try:
    import ray
except ImportError:  # Installed by requirements-dev.txt; CI must run these tests, so only a local run may skip.
    if os.environ.get("CI"):
        raise
    pytest.skip("ray is not installed (pip install -r requirements-ray.txt)", allow_module_level=True)

from forecast import sweep
from forecast.config import Config
from forecast.run.cache import ResultCache
from forecast.run.keys import result_key
from forecast.run.pipeline import run
from forecast.run.result import Result
from forecast.training import JobState, TrainingService, ray_backend
from forecast.training.backend import Backend
from tests.conftest import TINY
from tests.ray_cluster import LocalRayCluster, free_port

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
LONG = {**TINY, "epochs": 1000, "batch_size": 1}  # about a minute if nobody stops it


@pytest.fixture(scope="module")
def cluster():
    cluster = LocalRayCluster(num_cpus=2).start()
    try:
        assert cluster.core_pids(), "ray start left no GCS server or raylet running"
        yield cluster
    finally:
        cluster.stop()
        assert cluster.pids() == [], "Ray processes left running"


@pytest.fixture(scope="module")
def backend(cluster):
    backend = ray_backend.RayBackend(cluster.address)
    yield backend
    backend.shutdown()
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def service(backend):
    # The service's own shutdown would end the backend too; the backend fixture does that, and checks it.
    assert isinstance(backend, Backend)
    assert backend.max_concurrent == 2  # the cluster's 2 CPUs, one per training
    return TrainingService(backend=backend)


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _json_of(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> dict:
    """Run `command` in a real process, require that it succeeds, and read the JSON of its last line."""
    finished = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- no cluster needed ---------------------------------------------------------------------------------------


def test_an_address_where_nothing_listens_is_reported_at_once():
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ValueError, match=rf"^Cannot reach the Ray cluster at {address}; ") as raised:
        ray_backend.RayBackend(address)
    assert time.monotonic() - started < 2
    message = str(raised.value)
    assert "\n" not in message and message.count(". ") == 0 and message.endswith("to train locally.")
    assert not ray.is_initialized()


def test_a_silent_listener_is_reported_within_the_timeout():
    # Accepts connections (the kernel does, from the backlog) but never speaks: Ray's own client would retry
    # this for many minutes.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(ValueError, match=rf"^Cannot reach the Ray cluster at {address}; .*within 1 s"):
            ray_backend.RayBackend(address, connect_timeout=1.0)
        assert time.monotonic() - started < 3
    assert not ray.is_initialized()


def test_a_head_that_goes_quiet_within_the_grace_is_a_lost_cluster():
    """`ray stop --force` can end a training's node a moment before the head stops answering: the node's loss
    waits NODE_LOSS_GRACE_SECONDS for the head before it is reported as a node's alone."""
    listener = socket.create_server(("127.0.0.1", 0))
    backend = object.__new__(ray_backend.RayBackend)  # only the address matters here: no cluster to connect to
    backend.address = f"127.0.0.1:{listener.getsockname()[1]}"
    try:
        started = time.monotonic()
        assert backend._cluster_alive(grace=0.5)  # still answering at the end of the grace
        assert time.monotonic() - started >= 0.5
        closer = threading.Timer(0.4, listener.close)
        closer.start()
        assert backend._cluster_alive()  # at once, before the head goes quiet
        assert not backend._cluster_alive(grace=ray_backend.NODE_LOSS_GRACE_SECONDS)
        closer.join()
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("localhost", "must be HOST:PORT"),
        ("localhost:port", "must be HOST:PORT"),
        ("localhost:70000", "must be HOST:PORT"),
        ("ray://head:10001", "not Ray Client URLs"),
    ],
)
def test_malformed_addresses(address, message):
    with pytest.raises(ValueError, match=f"^Cannot reach the Ray cluster at {address}; .*{message}"):
        ray_backend.RayBackend(address)


def test_the_address_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(ray_backend.ADDRESS_VARIABLE, raising=False)
    assert ray_backend.configured_address() is None
    with pytest.raises(ValueError, match="set FORECAST_RAY_ADDRESS"):
        ray_backend.RayBackend()
    monkeypatch.setenv(ray_backend.ADDRESS_VARIABLE, "  ")
    assert ray_backend.configured_address() is None
    monkeypatch.setenv(ray_backend.ADDRESS_VARIABLE, " 10.0.0.5:6379 ")
    assert ray_backend.configured_address() == "10.0.0.5:6379"


# --- on the cluster ------------------------------------------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    import json, sys
    from forecast import sweep
    from forecast.run.cache import ResultCache
    from forecast.config import Config
    from forecast.training import TrainingService, ray_backend

    address, cache_dir, base, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
    service = TrainingService(backend=ray_backend.RayBackend(address))
    cache = ResultCache(cache_dir)
    jobs = [service.submit(cell, cache) for cell in sweep.expand(Config(**base), sweep.Sweep.from_options(options))]
    for job in jobs:
        job.wait(timeout=300)
    service.shutdown()
    print(json.dumps({
        "states": [job.state for job in jobs],
        "errors": [job.error for job in jobs],
        "workers": [job.worker_pid for job in jobs],
        "epochs": [[report.epoch for report in job.reports] for job in jobs],
        "summary": sweep.summary([job.result for job in jobs if job.result is not None]),
        "driver_modules": sorted(name for name in ("tensorflow", "keras") if name in sys.modules),
    }))
    """
)


def test_a_sweep_on_ray_gives_the_local_numbers_and_the_driver_never_imports_tensorflow(cluster, tmp_path):
    # A separate driver process, so that nothing else in it (other tests) could have imported TensorFlow.
    cache_dir = tmp_path / "cache"
    report = _json_of(
        [sys.executable, "-c", DRIVER, cluster.address, str(cache_dir), json.dumps(TINY), "units=2,4"],
        cwd=tmp_path,  # not the checkout: the workers must get the package from the runtime env, not a path
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert report["driver_modules"] == []
    assert report["states"] == [JobState.DONE, JobState.DONE], report["errors"]
    assert report["epochs"] == [[1, 2], [1, 2]]
    assert os.getpid() not in report["workers"] and None not in report["workers"]
    cells = sweep.expand(Config(**TINY), sweep.Sweep.from_options(["units=2,4"]))
    for cell, summary in zip(cells, report["summary"]["cells"], strict=True):
        local = run(cell)  # the local pipeline, in this process
        assert summary["config"] == cell.to_dict()
        assert summary["metrics"] == local.summary()["metrics"]  # bit for bit, through JSON's exact floats
        # The driver stored it under the same content-addressed key a local training uses.
        stored = ResultCache(cache_dir).get(result_key(cell))
        assert stored is not None and stored.metrics == local.metrics
        assert stored.table().equals(local.table())


def test_progress_and_result_in_process(service, tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    config = tiny_config.replace(epochs=3, seed=5)
    job = service.submit(config, cache)
    # The same config submitted while it is in flight shares the job: the registry above the backend merges them.
    assert service.submit(config, cache) is job
    assert job.wait(timeout=180)
    assert job.state == JobState.DONE, job.error
    assert [report.epoch for report in job.reports] == [1, 2, 3]
    assert isinstance(job.result, Result) and not job.result.cached
    # The worker computed the same cache key (same code, same library versions), so the result was stored.
    assert job.key == result_key(config)
    assert cache.get(result_key(config)) is not None
    assert service.trainings_started >= 1


def test_cancelling_a_running_sweep(backend, service, tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    # Four long cells on two CPUs: two run, two wait in Ray's queue.
    subscriptions = [service.subscribe(Config(**LONG).replace(seed=seed), cache) for seed in range(4)]
    jobs = [subscription.job for subscription in subscriptions]
    try:
        assert _wait_for(lambda: sum(len(job.reports) >= 2 for job in jobs) >= 2, timeout=180)
        assert sum(job.state == JobState.RUNNING for job in jobs) == 2
        # Both CPUs busy: the first waiting cell starts after one running cell ends, the second after two.
        assert [service.queue_position(job) for job in jobs if job.state == JobState.QUEUED] == [1, 2]
    finally:
        cancelled = time.monotonic()
        for subscription in subscriptions:
            subscription.abandon()  # what the Sweep tab's Stop does
    assert all(job.wait(timeout=20) for job in jobs)
    elapsed = time.monotonic() - cancelled
    assert [job.state for job in jobs] == [JobState.CANCELLED] * 4, [job.error for job in jobs]
    assert elapsed < 5, f"cancelling took {elapsed:.1f} s"
    assert max(len(job.reports) for job in jobs) < 1000
    assert _entries(tmp_path) == []  # nothing stored, not even a temporary file
    assert backend.in_flight() == []
    # The cluster's workers are free again: a new training runs at once.
    job = service.submit(tiny_config.replace(seed=6), cache)
    assert job.wait(timeout=180) and job.state == JobState.DONE, job.error


def test_an_error_in_the_task_is_reported(service, tmp_path):
    # A config whose series the worker cannot build (an upload it never saw) fails in the task.
    config = Config(**TINY).replace(source="upload", upload="a" * 64)
    job = service.submit(config, ResultCache(tmp_path))
    assert job.wait(timeout=180)
    assert job.state == JobState.FAILED
    assert job.error.startswith("training failed: MissingUpload: this config uses an uploaded file (sha256 aaaa")
    assert _entries(tmp_path) == []


def test_the_command_line_on_ray_gives_the_local_numbers(cluster, tmp_path):
    # `python -m forecast sweep … --ray-address`, and a single run with FORECAST_RAY_ADDRESS, in real processes.
    flags = [part for name, value in TINY.items() for part in (f"--{name.replace('_', '-')}", str(value))]
    environment = {**os.environ, "FORECAST_CACHE_DIR": str(tmp_path / "cache")}
    environment.pop(ray_backend.ADDRESS_VARIABLE, None)
    sweep_on_ray = ["--ray-address", cluster.address]
    summary = _json_of(
        [sys.executable, "-m", "forecast", "sweep", "--vary", "seed=1,2", *flags, "--json", *sweep_on_ray],
        cwd=ROOT,
        env=environment,
    )
    for seed, cell in zip((1, 2), summary["cells"], strict=True):
        assert cell["cached"] is False
        assert cell["metrics"] == run(Config(**TINY).replace(seed=seed)).summary()["metrics"]
    single = _json_of(
        [sys.executable, "-m", "forecast", *flags, "--seed", "3", "--json"],
        cwd=ROOT,
        env={**environment, ray_backend.ADDRESS_VARIABLE: cluster.address},
    )
    assert single["metrics"] == run(Config(**TINY).replace(seed=3)).summary()["metrics"]


APP_DRIVER = textwrap.dedent(
    """
    import json, sys
    from streamlit.testing.v1 import AppTest
    from forecast.config import Config
    from forecast.config.fields import to_query_params

    app, config = sys.argv[1], Config(**json.loads(sys.argv[2]))
    at = AppTest.from_file(app, default_timeout=300)
    for name, value in to_query_params(config).items():
        at.query_params[name] = value
    at.query_params["sweep"] = "seed:4,5"
    at.session_state["view"] = "Sweep"
    at.run()
    at.button(key="sweep_run").click().run()
    table = at.dataframe[0].value
    print(json.dumps({
        "exception": bool(at.exception),
        "problems": [element.value for element in at.error] + [element.value for element in at.warning],
        "recursive": list(table["recursive RMSE"]),
        "one_step": list(table["one-step RMSE"]),
        "app_modules": sorted(name for name in ("tensorflow", "keras") if name in sys.modules),
    }))
    """
)


def test_the_app_trains_its_sweep_on_ray_with_the_local_numbers(cluster, tmp_path):
    # The app in its own process (AppTest), FORECAST_RAY_ADDRESS set: the Sweep tab's cells train on the cluster.
    environment = {
        **os.environ,
        "FORECAST_CACHE_DIR": str(tmp_path / "cache"),
        ray_backend.ADDRESS_VARIABLE: cluster.address,
        "PYTHONPATH": str(ROOT),
    }
    report = _json_of(
        [sys.executable, "-c", APP_DRIVER, str(ROOT / "app.py"), json.dumps(TINY)], tmp_path, environment, timeout=600
    )
    assert not report["exception"] and report["problems"] == []
    assert report["app_modules"] == []  # TensorFlow only in the Ray workers
    for seed, one_step, recursive in zip((4, 5), report["one_step"], report["recursive"], strict=True):
        local = run(Config(**TINY).replace(seed=seed)).metrics["lstm"]
        assert (one_step, recursive) == (local["one_step"]["rmse"], local["recursive"]["rmse"])


# Keep this test last: it kills the module's cluster.
def test_a_cluster_that_disappears_mid_training(cluster, backend, service, tmp_path):
    cache = ResultCache(tmp_path)
    job = service.submit(Config(**LONG).replace(seed=7), cache)
    assert _wait_for(lambda: len(job.reports) >= 2, timeout=180), job.error
    cluster.kill()  # what `ray stop --force` does, to this cluster only
    killed = time.monotonic()
    assert job.wait(timeout=20), "the job still waits for a cluster that is gone"
    assert time.monotonic() - killed < 10
    assert job.state == JobState.FAILED
    assert job.error.startswith(f"the Ray cluster at {cluster.address} went away during training;")
    assert _entries(tmp_path) == []  # nothing half-written
    # The driver lets go of the cluster at once, so Ray cannot end this process a minute later.
    assert not backend.connected
    assert _wait_for(lambda: not ray.is_initialized(), timeout=15)
    started = time.monotonic()
    # A training asked for now fails at once with that sentence (the page shows it), instead of waiting forever.
    job = service.submit(Config(**TINY), cache)
    assert time.monotonic() - started < 2
    assert job.finished and job.state == JobState.FAILED
    assert job.error.startswith(f"Cannot reach the Ray cluster at {cluster.address}; ")
    assert service.registry.in_flight() == []
