import contextlib
import dataclasses
import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from forecast.config import Config
from forecast.run.cache import ResultCache, default_cache_dir
from forecast.run.keys import result_key
from tests.conftest import make_fake_result as fake_result


def test_default_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    assert ResultCache().directory == tmp_path / "here"


def test_put_then_get_from_memory_and_from_disk(tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    key = result_key(tiny_config)
    assert cache.get(key) is None
    cache.put(key, fake_result(tiny_config))
    assert cache.get(key).cached
    assert (tmp_path / f"{key}.npz").exists()
    # A new cache object (a restarted process) finds it on disk.
    fresh = ResultCache(tmp_path)
    hit = fresh.get(key)
    assert hit is not None and hit.cached and hit.config == tiny_config
    np.testing.assert_array_equal(hit.learning_rate, [0.01, 0.005])
    assert list(tmp_path.glob("*.tmp")) == []


def test_memory_layer_is_bounded(tiny_config, tmp_path):
    cache = ResultCache(tmp_path, memory_entries=2, use_disk=False)
    keys = []
    for seed in range(3):
        config = tiny_config.replace(seed=seed)
        keys.append(result_key(config))
        cache.put(keys[-1], fake_result(config))
    assert cache.get(keys[0]) is None  # evicted, and no disk layer to fall back on
    assert cache.get(keys[1]) is not None and cache.get(keys[2]) is not None


def test_memory_layer_is_bounded_by_size(tiny_config, tmp_path):
    cache = ResultCache(tmp_path, memory_bytes=150_000, use_disk=False)
    first, second = (result_key(tiny_config.replace(seed=s)) for s in (0, 1))
    cache.put(first, fake_result(tiny_config, size=100_000))
    cache.put(second, fake_result(tiny_config.replace(seed=1), size=100_000))
    assert cache.get(first) is None and cache.get(second) is not None


@pytest.mark.parametrize("damage", [b"", b"garbage", b"PK\x03\x04 truncated zip"])
def test_corrupted_file_is_a_miss_and_is_replaced(tiny_config, tmp_path, damage):
    cache = ResultCache(tmp_path)
    key = result_key(tiny_config)
    cache.put(key, fake_result(tiny_config))
    path = tmp_path / f"{key}.npz"
    path.write_bytes(damage)
    fresh = ResultCache(tmp_path)
    assert fresh.get(key) is None
    assert any("damaged" in warning for warning in fresh.warnings)
    assert not path.exists()
    fresh.put(key, fake_result(tiny_config))
    assert ResultCache(tmp_path).get(key) is not None


def test_warnings_go_to_the_caller_that_caused_them(tiny_config, tmp_path):
    # One cache serves every session of a server: a session must see its own problems, not everyone's.
    cache = ResultCache(tmp_path)
    damaged, fine = result_key(tiny_config), result_key(tiny_config.replace(seed=1))
    cache.put(fine, fake_result(tiny_config.replace(seed=1)))
    (tmp_path / f"{damaged}.npz").write_bytes(b"garbage")
    shared = ResultCache(tmp_path)
    mine: list[str] = []
    theirs: list[str] = []
    assert shared.get(damaged, mine) is None and shared.get(fine, theirs) is not None
    assert any("damaged" in warning for warning in mine)
    assert theirs == [] and shared.warnings == []


def test_truncated_real_entry_is_a_miss(tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    key = result_key(tiny_config)
    cache.put(key, fake_result(tiny_config))
    path = tmp_path / f"{key}.npz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert ResultCache(tmp_path).get(key) is None


def test_disk_size_is_bounded_least_recently_used_first(tiny_config, tmp_path):
    entry_size = len(fake_result(tiny_config, size=50_000).to_bytes())
    cache = ResultCache(tmp_path, max_disk_bytes=int(entry_size * 2.5))
    keys = [result_key(tiny_config.replace(seed=s)) for s in range(4)]
    for index, key in enumerate(keys):
        cache.put(key, fake_result(tiny_config.replace(seed=index), size=50_000))
        path = tmp_path / f"{key}.npz"
        os.utime(path, (1_000_000 + index, 1_000_000 + index))  # deterministic ages
    cache._trim()
    remaining = {path.stem for path in tmp_path.glob("*.npz")}
    assert remaining == set(keys[-2:])
    assert sum(path.stat().st_size for path in tmp_path.glob("*.npz")) <= cache.max_disk_bytes


def test_unwritable_folder_degrades_to_memory(tiny_config, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cache = ResultCache(blocker / "cache")  # cannot be created: its parent is a file
    key = result_key(tiny_config)
    cache.put(key, fake_result(tiny_config))
    assert cache.get(key) is not None
    assert any("cannot be written" in warning for warning in cache.warnings)


def test_keys_must_be_digests(tmp_path):
    with pytest.raises(ValueError, match="hex digests"):
        ResultCache(tmp_path).get("../escape")


def test_results_are_marked_cached_but_otherwise_unchanged(tiny_config, tmp_path):
    cache = ResultCache(tmp_path)
    key = result_key(tiny_config)
    original = fake_result(tiny_config)
    cache.put(key, original)
    assert not original.cached
    hit = ResultCache(tmp_path).get(key)
    assert dataclasses.replace(hit, cached=False).summary() == original.summary()


def test_invalid_bounds():
    with pytest.raises(ValueError, match="memory_entries"):
        ResultCache(memory_entries=0)
    with pytest.raises(ValueError, match="max_disk_bytes"):
        ResultCache(max_disk_bytes=-1)


# --- resilience: real file-system failures ---------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(folder: Path, options: str):
    """Mount a small tmpfs (root only); skip where mounting is not permitted."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_read_only_folder_degrades_to_memory_with_a_warning(tiny_config, tmp_path):
    key = result_key(tiny_config)
    if os.geteuid() == 0:
        context = tmpfs(tmp_path / "ro", "ro,size=1m")
    else:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o555)
        context = contextlib.nullcontext(tmp_path / "ro")
    with context as folder:
        cache = ResultCache(folder)
        cache.put(key, fake_result(tiny_config))
        assert cache.get(key) is not None  # still served from memory
        assert any("cannot be written" in warning for warning in cache.warnings)
        assert list(folder.iterdir()) == []


def test_full_disk_degrades_to_memory_with_a_warning(tiny_config, tmp_path):
    key = result_key(tiny_config)
    with tmpfs(tmp_path / "full", "size=64k") as folder:
        cache = ResultCache(folder)
        cache.put(key, fake_result(tiny_config, size=200_000))  # larger than the whole file system
        assert cache.get(key) is not None
        assert any("No space left" in warning for warning in cache.warnings), cache.warnings
        assert list(folder.iterdir()) == []  # the partial temporary file was removed


def test_file_size_limit_degrades_to_memory_in_any_environment(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse large writes, as a full disk does, without needing root."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from tests.conftest import TINY
        from tests.conftest import make_fake_result as fake_result
        from forecast.run.cache import ResultCache
        from forecast.config import Config
        from forecast.run.keys import result_key
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))
        config = Config(**TINY)
        cache = ResultCache({str(tmp_path)!r})
        cache.put(result_key(config), fake_result(config, size=100_000))
        assert cache.get(result_key(config)) is not None
        print(cache.warnings)
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "cannot be written" in completed.stdout and "File too large" in completed.stdout
    assert list(tmp_path.iterdir()) == []


def _write_repeatedly(directory: str, fields: dict, rounds: int) -> None:
    config = Config(**fields)
    cache = ResultCache(directory)
    for _ in range(rounds):
        cache.put(result_key(config), fake_result(config, size=300_000))


def test_two_processes_writing_the_same_entry_leave_one_good_entry(tiny_config, tmp_path):
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_write_repeatedly, args=(str(tmp_path), tiny_config.to_dict(), 30)) for _ in range(2)
    ]
    for writer in writers:
        writer.start()
    key = result_key(tiny_config)
    reads = 0
    while any(writer.is_alive() for writer in writers):
        # A reader racing the writers sees either no entry yet or a whole one, never half of one.
        hit = ResultCache(tmp_path).get(key)
        reads += hit is not None
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert reads > 0
    assert [path.name for path in tmp_path.iterdir()] == [f"{key}.npz"]
    assert ResultCache(tmp_path).get(key).config == tiny_config
