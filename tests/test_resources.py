import os

from forecast import resources


def test_available_cpus_respects_the_affinity_mask():
    count = resources.available_cpus()
    assert 1 <= count <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert count <= len(os.sched_getaffinity(0))


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
