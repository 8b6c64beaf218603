"""The library's layering: only forecast.ui imports Streamlit, and only forecast.models.lstm imports TensorFlow."""

from __future__ import annotations

import ast
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


# --- the rooms: imports point one way, no circles, and small parts ----------------------------------------------

PACKAGE = ROOT / "forecast"
# Each room's floor: a module may import its own room and the rooms on lower floors, never a room above.
FLOORS = {
    "config": 0,
    "resources": 0,
    "data": 1,
    "models": 2,
    "evaluation": 3,
    "run": 4,
    "training": 5,
    "sweep": 5,
    "report": 6,
    "cli": 7,
    "ui": 7,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """Every module of the package that `path` imports, at the top or inside a function: `from forecast.data import
    sources` names the module forecast.data.sources, `from forecast.data import Dataset` the package forecast.data."""

    def known(name: str) -> str:
        while name not in MODULES:
            name = name.rpartition(".")[0]
        return name

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {known(alias.name) for alias in node.names if alias.name.startswith("forecast.")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("forecast"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else known(node.module))
    return found - {module_name(path)}


IMPORTS = {name: imported_modules(path) for name, path in MODULES.items()}


def room(name: str) -> str:
    return name.split(".")[1] if name.count(".") else ""


def test_every_room_has_a_floor_and_the_top_is_rooms_not_a_flat_floor():
    rooms = {room(name) for name in MODULES if room(name)}
    assert rooms - {"__main__"} == set(FLOORS)
    packages = [path for path in PACKAGE.iterdir() if (path / "__init__.py").exists()]
    plain = [path for path in PACKAGE.glob("*.py")]
    assert len(packages) >= 6 and len(plain) <= 6, (packages, plain)


def test_no_module_imports_a_room_above_its_own():
    upward = [
        f"{name} imports {target}"
        for name, targets in IMPORTS.items()
        if room(name) in FLOORS
        for target in targets
        if not room(target) or FLOORS[room(target)] > FLOORS[room(name)]
    ]
    assert upward == []


def test_there_are_no_import_circles():
    # Depth-first search with colours; any edge back to a module still on the path closes a circle.
    state: dict[str, int] = {}
    circles = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(IMPORTS[name]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(IMPORTS):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_parts_stay_small():
    """No function over 40 lines, no module over 400, and app.py under 100 (complexity: ruff's C901, at 10)."""
    too_long = []
    for path in [*PACKAGE.rglob("*.py"), ROOT / "app.py"]:
        source = path.read_text()
        if len(source.splitlines()) > 400:
            too_long.append(f"{path.relative_to(ROOT)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 40:
                too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert too_long == []
    assert len((ROOT / "app.py").read_text().splitlines()) < 100
