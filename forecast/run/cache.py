"""Result cache: a bounded in-memory layer over an on-disk layer that survives restarts."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import sys
import tempfile
import threading
from pathlib import Path

from forecast.run.result import Result

__all__ = [
    "DEFAULT_MAX_DISK_BYTES",
    "DEFAULT_MEMORY_BYTES",
    "DEFAULT_MEMORY_ENTRIES",
    "ResultCache",
    "default_cache_dir",
]

DEFAULT_MEMORY_ENTRIES = 64
DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024
DEFAULT_MAX_DISK_BYTES = 512 * 1024 * 1024
SUFFIX = ".npz"
APP_FOLDER = "lstm-forecast-playground"


def default_cache_dir() -> Path:
    """`FORECAST_CACHE_DIR` if set, else the platform's per-user cache folder."""
    configured = os.environ.get("FORECAST_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / APP_FOLDER


def _size(result: Result) -> int:
    arrays = [result.xs, result.ys, result.loss, result.val_loss, result.learning_rate]
    arrays += list(result.forecasts.to_arrays().values())
    return len(result.model_bytes) + sum(array.nbytes for array in arrays)


class ResultCache:
    """Results by key: the most recent in memory, all (up to a size bound) on disk.

    The disk layer never breaks a run: an unreadable entry is a miss (and is removed so a fresh result replaces
    it), and a folder that cannot be written degrades to memory-only caching with a warning. A warning goes to
    the `warnings` list the caller passes to `get` or `put` (a session's, a run's), or else to `self.warnings`:
    a cache shared by many sessions must not show one visitor the warnings another visitor's run caused.
    Safe to share between threads; entries written by several processes at once stay whole, because each write
    goes to a temporary file that is renamed into place.
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        memory_entries: int = DEFAULT_MEMORY_ENTRIES,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        max_disk_bytes: int = DEFAULT_MAX_DISK_BYTES,
        use_disk: bool = True,
    ) -> None:
        if memory_entries < 1:
            raise ValueError(f"memory_entries must be at least 1, got {memory_entries}")
        if max_disk_bytes < 0:
            raise ValueError(f"max_disk_bytes must be 0 or more, got {max_disk_bytes}")
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.use_disk = use_disk
        self.memory_entries = memory_entries
        self.memory_bytes = memory_bytes
        self.max_disk_bytes = max_disk_bytes
        self.warnings: list[str] = []
        self._memory: collections.OrderedDict[str, Result] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"cache keys are hex digests, got {key!r}")
        return self.directory / f"{key}{SUFFIX}"

    def _warn(self, message: str, warnings: list[str] | None) -> None:
        # Keep the first occurrence of each warning only: a broken folder should not flood the page.
        target = self.warnings if warnings is None else warnings
        with self._lock:
            if message not in target:
                target.append(message)

    def get(self, key: str, warnings: list[str] | None = None) -> Result | None:
        """The stored result (marked `cached=True`), or None; problems are added to `warnings` (see the class)."""
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        result = self._read_disk(key, warnings) if self.use_disk else None
        if result is not None:
            self._remember(key, result)
        return result

    def put(self, key: str, result: Result, warnings: list[str] | None = None) -> None:
        """Store a result in memory and on disk (best effort; problems are added to `warnings`, see the class)."""
        result = dataclasses.replace(result, cached=True)
        self._remember(key, result)
        if self.use_disk:
            self._write_disk(key, result, warnings)

    def _remember(self, key: str, result: Result) -> None:
        with self._lock:
            self._memory[key] = result
            self._memory.move_to_end(key)
            # Bounded by count and by size, but the newest entry always stays, however large.
            while len(self._memory) > 1 and (
                len(self._memory) > self.memory_entries
                or sum(_size(entry) for entry in self._memory.values()) > self.memory_bytes
            ):
                self._memory.popitem(last=False)

    def _read_disk(self, key: str, warnings: list[str] | None) -> Result | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            self._warn(f"cache entry {path.name} could not be read ({error.strerror}); training instead", warnings)
            return None
        try:
            result = Result.from_bytes(data)
        except ValueError:
            self._warn(f"cache entry {path.name} was damaged; it was recomputed", warnings)
            path.unlink(missing_ok=True)
            return None
        # Mark as recently used, so that size trimming removes older entries first.
        with contextlib.suppress(OSError):
            os.utime(path)
        return dataclasses.replace(result, cached=True)

    def _write_disk(self, key: str, result: Result, warnings: list[str] | None) -> None:
        path = self._path(key)
        temporary: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{key[:16]}-", suffix=".tmp")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(result.to_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            temporary = None
            self._trim()
        except OSError as error:
            reason = error.strerror or str(error)
            self._warn(
                f"the cache folder {self.directory} cannot be written ({reason}); results are kept in memory only",
                warnings,
            )
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def _trim(self) -> None:
        """Remove least recently used entries until the folder is within `max_disk_bytes`."""
        entries = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                status = path.stat()
            except OSError:
                continue
            entries.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= self.max_disk_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
