"""The library's layering: only forecast.ui imports Streamlit, and only forecast.models.lstm imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A meta-path finder that makes a package unimportable, then every library module imported one by one.
IMPORT_ALL_WITHOUT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    sys.path.insert(0, {root!r})
    BLOCKED = {blocked!r}

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is blocked for this test")
            return None

    sys.meta_path.insert(0, Refuse())
    import forecast
    names = sorted(
        module.name for module in pkgutil.walk_packages(forecast.__path__, "forecast.")
        if not any(module.name == skip or module.name.startswith(skip + ".") for skip in {skip!r})
    )
    for name in names:
        importlib.import_module(name)
    print(len(names), "modules:", " ".join(names))
    try:
        importlib.import_module("forecast.ui.state")
    except ImportError:
        print("forecast.ui needs the blocked package")
    """
)


def import_all_without(blocked: set[str], skip: set[str]) -> subprocess.CompletedProcess:
    script = IMPORT_ALL_WITHOUT.format(root=str(ROOT), blocked=blocked, skip=skip)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


def test_the_library_imports_without_streamlit():
    completed = import_all_without({"streamlit"}, {"forecast.ui"})
    assert completed.returncode == 0, completed.stderr
    modules = completed.stdout.splitlines()[0].split("modules:")[1].split()
    # Every part of the library was imported, TensorFlow's module included.
    assert {
        "forecast.config.config",
        "forecast.data.sources",
        "forecast.training.pool",
        "forecast.models.lstm.trainer",
    } <= set(modules)
    assert not any(name.startswith("forecast.ui") for name in modules)
    assert "forecast.ui needs the blocked package" in completed.stdout  # the blocker works


def test_only_the_model_imports_tensorflow():
    completed = import_all_without({"tensorflow", "keras"}, {"forecast.models.lstm"})
    assert completed.returncode == 0, completed.stderr
    assert "forecast.training.child" in completed.stdout and "forecast.ui.views.forecast" in completed.stdout
