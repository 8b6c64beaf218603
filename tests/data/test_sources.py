"""The data sources (forecast/data/sources.py): one class each, the only place that tells them apart."""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from forecast.config import Config
from forecast.data import datasets, sources

FORECAST = Path(__file__).resolve().parents[2] / "forecast"
UPLOAD = ("t,level\n" + "".join(f"{index},{np.cos(index / 4):.5f}\n" for index in range(30))).encode()
DIGEST = datasets.content_hash(UPLOAD)


def test_registry_names_every_source_and_refuses_others():
    assert list(sources.SOURCES) == ["expression", "dataset", "upload"]
    assert all(sources.get(name).name == name for name in sources.SOURCES)
    with pytest.raises(ValueError, match="no data source 'web'"):
        sources.get("web")


@pytest.mark.parametrize(
    ("config", "label", "title", "axes", "points"),
    [
        (Config(expression="sin(x)"), "sin(x)", "f(x) = sin(x)", ("x", "f(x)"), 400),
        (
            Config(source="dataset", dataset="lake_huron"),
            "Lake Huron level (1875–1972)",
            "Lake Huron level (1875–1972)",
            ("year", "level_ft"),
            98,
        ),
        (
            Config(source="upload", upload=DIGEST, x_column="t", value_column="level"),
            f"upload {DIGEST[:8]}",
            "Uploaded series: level",
            ("t", "level"),
            30,
        ),
    ],
)
def test_each_source_loads_and_names_its_series(config, label, title, axes, points):
    source = sources.get(config.source)
    series = source.load(config, UPLOAD)
    assert len(series.xs) == len(series.ys) == points
    assert source.label(config) == label and source.chart_title(config) == title
    assert source.axis_titles(config) == axes


def test_export_snippets_define_y():
    expression = Config(expression="x*sin(x)")
    snippet = sources.get("expression").export_snippet(expression, None)
    assert "np.arange(400)" in snippet and "y = (x * np.sin(x))" in snippet
    dataset = Config(source="dataset", dataset="lake_huron")
    values = datasets.load("lake_huron").ys
    snippet = sources.get("dataset").export_snippet(dataset, values)
    assignment = next(node for node in ast.parse(snippet).body if isinstance(node, ast.Assign))
    assert assignment.targets[0].id == "y"
    np.testing.assert_array_equal(ast.literal_eval(assignment.value.args[0]), values)
    with pytest.raises(ValueError, match="needs its values"):
        sources.get("dataset").export_snippet(dataset, None)


def test_an_upload_needs_its_file_and_the_right_one():
    config = Config(source="upload", upload=DIGEST)
    with pytest.raises(sources.MissingUpload, match="upload the same file"):
        sources.get("upload").load(config, None)
    with pytest.raises(ValueError, match="does not match"):
        sources.get("upload").load(config, UPLOAD + b"1,2\n")


def test_the_library_dispatches_on_the_source_only_here():
    """No other module compares config.source with a name: adding a source touches sources.py alone."""
    offenders = []
    for path in FORECAST.rglob("*.py"):
        if path.name == "sources.py":
            continue
        if re.search(r"\.source\s*[!=]=\s*[\"']", path.read_text()):
            offenders.append(str(path.relative_to(FORECAST)))
    assert offenders == []
