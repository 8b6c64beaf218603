import os

import pytest

from forecast import resources


def affinity() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def test_available_cpus_respects_the_affinity_mask(tmp_path):
    count = resources.available_cpus(tmp_path / "no-cgroup-here")
    assert count == affinity()
    assert 1 <= resources.available_cpus() <= affinity()


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("100000 100000\n", 1),  # one CPU's worth of quota
        ("50000 100000\n", 1),  # half a CPU: still one thread
        ("max 100000\n", None),  # no quota: the affinity mask decides
        ("garbage\n", None),  # unreadable: ignored
        ("100000000 100000\n", None),  # a quota above the mask does not raise the count
    ],
)
def test_a_cgroup_quota_caps_the_count(tmp_path, cpu_max, expected):
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    assert resources.available_cpus(path) == (expected if expected is not None else affinity())


def test_a_quota_of_several_cpus_is_rounded_down(tmp_path):
    if affinity() < 2:
        pytest.skip("needs at least two CPUs in the affinity mask")
    path = tmp_path / "cpu.max"
    path.write_text("250000 100000\n")  # 2.5 CPUs
    assert resources.available_cpus(path) == 2


def test_default_concurrency_is_one_per_two_cpus(monkeypatch):
    monkeypatch.setattr(resources, "available_cpus", lambda: 2)
    assert resources.default_concurrency() == 1
    monkeypatch.setattr(resources, "available_cpus", lambda: 1)
    assert resources.default_concurrency() == 1
    monkeypatch.setattr(resources, "available_cpus", lambda: 8)
    assert resources.default_concurrency() == 4


def test_resident_memory_is_plausible():
    here = resources.resident_memory_mb()
    assert 10 < here < 100_000
    blob = bytearray(200 * 1024 * 1024)
    blob[::4096] = b"x" * len(blob[::4096])  # touch every page so it is resident
    assert resources.resident_memory_mb() > here + 150
