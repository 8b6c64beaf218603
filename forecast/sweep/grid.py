"""Sweeps: one or two Config fields varied over lists or ranges of values, as a bounded grid of Configs.

Values are written the same way on the command line (`--vary FIELD=VALUES`) and in a link (`sweep=FIELD:VALUES;…`):

- a list: `4,8,12` or `0.001,0.01`;
- an arithmetic range, both ends included: `START:STOP:STEP`, e.g. `lookback=4:16:4` → 4, 8, 12, 16 and
  `dropout=0:0.3:0.1` → 0.0, 0.1, 0.2, 0.3 (STOP is included when it falls on the grid);
- a geometric range, both ends included: `START:STOP:*FACTOR`, e.g. `units=8:64:*2` → 8, 16, 32, 64 and
  `learning_rate=0.0001:0.01:*10` → 0.0001, 0.001, 0.01.

Pure: imports neither TensorFlow nor Streamlit. Every cell is a Config built with `Config.replace`, so each value
is checked by the Config's own bounds and cross-field rules, with the Config's own messages.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from forecast import data
from forecast.config import FIELD_NAMES, FIELD_TYPES
from forecast.config.fields import field_spec

__all__ = [
    "MAX_CELLS",
    "MAX_SWEEP_COST",
    "MAX_SWEEP_STEPS",
    "MAX_VARIED_FIELDS",
    "QUERY_PARAMETER",
    "SWEEPABLE_FIELDS",
    "Sweep",
    "Variation",
    "format_value",
    "parse_values",
    "parse_variation",
]

# The Config fields a sweep may vary: the numeric ones of the network, the training and the real-series
# preparation. Source, data and choice fields (scaling, transform, schedule, fill) are chosen in the sidebar.
SWEEPABLE_FIELDS = (
    "lookback",
    "units",
    "layers",
    "dense_layers",
    "dropout",
    "learning_rate",
    "epochs",
    "batch_size",
    "train_ratio",
    "seed",
    "difference",
    "seasonal_difference",
    "season_length",
    "test_size",
    "patience",
    "validation_ratio",
)
MAX_VARIED_FIELDS = 2  # a line chart (one field) or a heatmap (two)
MAX_CELLS = 64
# A sweep may ask for five single trainings' worth of work in total (each single training is bounded by
# data.MAX_TRAINING_COST, about a minute on two cores), so a full grid takes minutes, not hours.
SWEEP_BUDGET_TRAININGS = 5
MAX_SWEEP_COST = SWEEP_BUDGET_TRAININGS * data.MAX_TRAINING_COST
MAX_SWEEP_STEPS = SWEEP_BUDGET_TRAININGS * data.MAX_OPTIMIZER_STEPS
QUERY_PARAMETER = "sweep"
# Floats made by a range are rounded to this many significant digits, so that 0:0.3:0.1 gives 0.3 and not
# 0.30000000000000004 (which would be a different config, with a different cache key, from the 0.3 one types).
RANGE_DIGITS = 12


@dataclasses.dataclass(frozen=True)
class Variation:
    """One varied field and its values, in the order given (duplicates removed)."""

    field: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        _check_sweepable(self.field)
        if not self.values:
            raise ValueError(f"{self.field} needs at least one value to sweep")
        # Each value is checked against the field's own bounds here; `expand` then builds every cell with
        # `Config.replace`, which applies all of the Config's rules (the split, the training budget) to it.
        unique = tuple(dict.fromkeys(_coerce(self.field, value) for value in self.values))
        if len(unique) > MAX_CELLS:
            raise ValueError(
                f"{self.field} has {len(unique)} values: a sweep has at most {MAX_CELLS} cells, so use fewer values"
            )
        object.__setattr__(self, "values", unique)

    def to_text(self) -> str:
        """The values as a list, each written so that it reads back to the same number."""
        return ",".join(format_value(value) for value in self.values)


@dataclasses.dataclass(frozen=True)
class Sweep:
    """One or two variations: the grid is their product, the first field varying slowest."""

    variations: tuple[Variation, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "variations", tuple(self.variations))
        if not 1 <= len(self.variations) <= MAX_VARIED_FIELDS:
            raise ValueError(
                f"a sweep varies 1 or {MAX_VARIED_FIELDS} fields, got {len(self.variations)}: vary at most two fields"
            )
        fields = [variation.field for variation in self.variations]
        if len(set(fields)) != len(fields):
            raise ValueError(f"{fields[0]} is varied twice: give all its values in one list or range")
        if self.size > MAX_CELLS:
            counts = " × ".join(f"{len(v.values)} {v.field} values" for v in self.variations)
            raise ValueError(
                f"this sweep has {self.size} cells ({counts}), over the limit of {MAX_CELLS}: use fewer values"
            )

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(variation.field for variation in self.variations)

    @property
    def shape(self) -> tuple[int, ...]:
        """Values per varied field: (n,) for a line, (rows, columns) for a heatmap."""
        return tuple(len(variation.values) for variation in self.variations)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def changes(self) -> list[dict[str, Any]]:
        """The field values of every cell, in grid order (row-major: the first field varies slowest)."""
        cells: list[dict[str, Any]] = [{}]
        for variation in self.variations:
            cells = [{**cell, variation.field: value} for cell in cells for value in variation.values]
        return cells

    def to_query_value(self) -> str:
        """The sweep as one query-parameter value, e.g. `lookback:4,8,12;units:16,32`."""
        return ";".join(f"{variation.field}:{variation.to_text()}" for variation in self.variations)

    def to_query_params(self) -> dict[str, str]:
        return {QUERY_PARAMETER: self.to_query_value()}

    @classmethod
    def from_query_value(cls, text: str) -> Sweep:
        """Read what `to_query_value` wrote (ranges are accepted too); ValueError if it cannot be used."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the sweep parameter is empty: write it as FIELD:VALUES;FIELD:VALUES")
        variations = []
        for part in text.split(";"):
            field, separator, values = part.partition(":")
            if not separator:
                raise ValueError(f"sweep part {part!r} has no ':': write it as FIELD:VALUES, e.g. lookback:4,8,12")
            variations.append(Variation(field.strip(), parse_values(field.strip(), values)))
        return cls(tuple(variations))

    @classmethod
    def from_options(cls, options: Sequence[str]) -> Sweep:
        """The sweep of the command line's `--vary FIELD=VALUES` options."""
        return cls(tuple(parse_variation(option) for option in options))

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]]) -> Sweep | None:
        """The sweep in a link's query parameters, or None if it has none; ValueError if it cannot be used."""
        raw = params.get(QUERY_PARAMETER)
        if raw is None:
            return None
        text = raw[-1] if isinstance(raw, list) and raw else raw
        return cls.from_query_value(text if isinstance(text, str) else "")


def _check_sweepable(field: str) -> None:
    if field not in FIELD_NAMES:
        raise ValueError(f"Config has no field {field!r}; a sweep can vary {', '.join(SWEEPABLE_FIELDS)}")
    if field not in SWEEPABLE_FIELDS:
        raise ValueError(
            f"{field} cannot be swept (set it in the sidebar); a sweep can vary {', '.join(SWEEPABLE_FIELDS)}"
        )


def _field_type(field: str) -> type:
    return FIELD_TYPES[field]


def _coerce(field: str, value: Any) -> Any:
    """A value as the field's own type, within the bounds the Config declares for it (same messages)."""
    kind = _field_type(field)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{field} takes numbers, got {value!r}")
    if kind is int:
        if not float(value).is_integer():
            raise ValueError(f"{field} must be a whole number, got {value!r}")
        value = int(value)
    value = kind(value)
    spec = field_spec(field)
    if not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number, got {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"{field} {value!r} is below the minimum of {format_value(spec.minimum)}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"{field} {value!r} is above the maximum of {format_value(spec.maximum)}")
    return value


def format_value(value: Any) -> str:
    """A value as text that reads back to the same number."""
    # repr() of a float is the shortest text that reads back to the same float, so links round-trip exactly.
    return repr(value) if isinstance(value, float) else str(value)


def _number(field: str, kind: type, text: str) -> Any:
    text = text.strip()
    if not text:
        raise ValueError(f"{field} has an empty value: write its values between commas, e.g. 4,8,12")
    try:
        if kind is int:
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        return float(text)
    except ValueError:
        noun = "whole numbers" if kind is int else "numbers"
        raise ValueError(f"{field} takes {noun}, got {text!r}") from None


def parse_values(field: str, text: str) -> tuple[Any, ...]:
    """The values of `field` written as a list (`4,8,12`) or a range (`4:16:4`, `8:64:*2`); see the module doc."""
    _check_sweepable(field)
    kind = _field_type(field)
    text = text.strip()
    if not text:
        raise ValueError(f"{field} needs values, e.g. {field}=1,2,3 or {field}=1:3:1")
    if ":" in text:
        values = _parse_range(field, kind, text)
    else:
        # A trailing comma ("4, 8,") is a slip, not a value.
        values = tuple(_number(field, kind, part) for part in text.rstrip(", ").split(","))
    return Variation(field, values).values


def _parse_range(field: str, kind: type, text: str) -> tuple[Any, ...]:
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"{field} range {text!r} must be START:STOP:STEP (or START:STOP:*FACTOR), e.g. 4:16:4")
    start, stop = _number(field, kind, parts[0]), _number(field, kind, parts[1])
    step_text = parts[2].strip()
    if stop < start:
        raise ValueError(f"{field} range {text!r} goes backwards: STOP must be at least START")
    if step_text.startswith("*"):
        factor = _number(field, float, step_text[1:])
        if not factor > 1:
            raise ValueError(f"{field} range {text!r} needs a FACTOR above 1")
        if not start > 0:
            raise ValueError(f"{field} range {text!r} is geometric, so START must be above 0")
        # Count first, so that a huge range is refused before any list is built.
        count = math.floor(math.log(stop / start) / math.log(factor) + 1e-9) + 1
        generate = lambda index: start * factor**index  # noqa: E731
    else:
        step = _number(field, kind, step_text)
        if not step > 0:
            raise ValueError(f"{field} range {text!r} needs a STEP above 0")
        count = math.floor((stop - start) / step + 1e-9) + 1
        generate = lambda index: start + index * step  # noqa: E731
    if count > MAX_CELLS:
        raise ValueError(
            f"{field} range {text!r} has {count} values: a sweep has at most {MAX_CELLS} cells, "
            "so use a larger step or a shorter range"
        )
    values = [generate(index) for index in range(count)]
    if kind is int:
        # Exact for arithmetic ranges of whole numbers; a geometric one (units=8:64:*1.5) rounds to the nearest.
        return tuple(round(value) for value in values)
    return tuple(float(f"{value:.{RANGE_DIGITS}g}") for value in values)


def parse_variation(text: str) -> Variation:
    """One `--vary` option: `FIELD=VALUES`, e.g. `lookback=4,8,12` or `units=8:64:*2`."""
    field, separator, values = text.partition("=")
    if not separator:
        raise ValueError(f"--vary {text!r} has no '=': write it as FIELD=VALUES, e.g. lookback=4,8,12")
    field = field.strip().replace("-", "_")
    return Variation(field, parse_values(field, values))
