import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from forecast import datasets, export
from forecast.config import Config
from forecast.pipeline import run
from tests.conftest import TINY


def test_script_is_valid_python_with_the_expression_as_numpy():
    script = export.standalone_script(Config(expression="x*sin(x) + sign(x)"))
    ast.parse(script)
    assert "y = ((x * np.sin(x)) + np.sign(x))" in script
    assert "LOOKBACK = 5" in script and "keras.layers.LSTM(32, return_sequences=True" in script
    assert "eval(" not in script and "exec(" not in script


def test_dataset_script_embeds_the_values():
    config = Config(source="dataset", dataset="lake_huron", lookback=4)
    script = export.standalone_script(config, datasets.load("lake_huron").ys)
    ast.parse(script)
    assert "580.38" in script and "98 values" in script
    with pytest.raises(ValueError, match="needs its values"):
        export.standalone_script(config)


def test_dropout_and_dense_layers_appear():
    script = export.standalone_script(Config(layers=2, dropout=0.2, dense_layers=1))
    assert "keras.layers.Dropout(0.2)" in script and 'keras.layers.Dense(32, activation="relu")' in script


@pytest.mark.parametrize("changes", [{}, {"scaling": "none", "layers": 2, "noise": 0.2}])
def test_exported_script_reproduces_the_apps_metrics(changes, tmp_path):
    config = Config(**TINY).replace(epochs=3, **changes)
    path = tmp_path / "run.py"
    path.write_text(export.standalone_script(config))
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    printed = json.loads(completed.stdout.strip().splitlines()[-1])
    expected = run(config).metrics["lstm"]
    for kind in ("one_step", "recursive"):
        for name in ("rmse", "mae", "r2"):
            np.testing.assert_allclose(printed[kind][name], expected[kind][name], rtol=1e-4, atol=1e-6)
