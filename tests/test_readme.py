"""The README's documented contracts match the code."""

import re
from pathlib import Path

from forecast.config import DEFAULT_CONFIG, FIELD_NAMES
from forecast.data import MAX_OPTIMIZER_STEPS, MAX_TRAINING_COST

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_config_table_lists_every_field_with_its_default():
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]*?) \|", README, flags=re.MULTILINE))
    assert set(rows) == set(FIELD_NAMES)
    for name in FIELD_NAMES:
        documented = rows[name].strip().strip("`")
        assert documented == str(getattr(DEFAULT_CONFIG, name)), name


def test_budget_numbers_match():
    assert f"{MAX_TRAINING_COST:.0e}".replace("+", "") in README
    assert f"{MAX_OPTIMIZER_STEPS:,}" in README


def test_both_commands_are_marked():
    for marker in ("run-command", "test-command"):
        block = re.search(rf"<!-- {marker}:begin -->\n```\n(.+)\n```\n<!-- {marker}:end -->", README)
        assert block, marker
    run = re.search(r"<!-- run-command:begin -->\n```\n(.+)\n```", README).group(1)
    assert run.endswith("streamlit run app.py")
