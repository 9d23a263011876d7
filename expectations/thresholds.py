"""Gate thresholds: the documented defaults (thresholds.yml), a home's permanent overrides (<home>/gates.yml)
and a one-shot override for the next run only (<home>/gates.once.yml, written by `wellbeing run --accept-gates
FILE` and removed when that run ends). Every value is checked: a number, finite, within sane bounds."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULTS = Path(__file__).with_name("thresholds.yml")
OVERRIDE_NAME = "gates.yml"
ONE_SHOT_NAME = "gates.once.yml"
# the sane range of each setting: outside it a gate no longer checks anything (or fails everything)
BOUNDS = {
    ("row_count", "min_ratio"): (0.0, 1.0),
    ("row_count", "max_ratio"): (1.0, 1000.0),
    ("envelope", "range_multiplier"): (0.0, 100.0),
    ("envelope", "relative_margin"): (0.0, 100.0),
    ("envelope", "absolute_margin"): (0.0, 1e9),
}


class InvalidThresholds(ValueError):
    """A gates file that cannot be used; the message names the file and the setting."""


@dataclass(frozen=True)
class Envelope:
    range_multiplier: float
    relative_margin: float
    absolute_margin: float

    def bounds(self, low: float, high: float, mean: float) -> tuple[float, float]:
        """The history [low, high] widened on each side by the largest margin."""
        margin = max(self.range_multiplier * (high - low), self.relative_margin * abs(mean), self.absolute_margin)
        return low - margin, high + margin


@dataclass(frozen=True)
class Thresholds:
    min_row_ratio: float
    max_row_ratio: float
    envelope: Envelope
    overrides: tuple[str, ...] = field(default=())  # which files changed the defaults, for the publish log

    def as_dict(self) -> dict:
        return {"row_count": {"min_ratio": self.min_row_ratio, "max_ratio": self.max_row_ratio},
                "envelope": vars(self.envelope), "overrides": list(self.overrides)}


def validated(path: Path, config: dict, base: dict | None = None) -> dict:
    """The settings in `config` (a parsed gates file), checked against the known keys and BOUNDS."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise InvalidThresholds(f"{path}: expected sections 'row_count' and 'envelope', found {type(config).__name__}")
    known = ", ".join(f"{s}.{k}" for s, k in BOUNDS)
    for section, values in config.items():
        if not isinstance(values, dict) or any((section, k) not in BOUNDS for k in values):
            raise InvalidThresholds(f"{path}: unknown setting '{section}' (known: {known})")
        for key, value in values.items():
            low, high = BOUNDS[(section, key)]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidThresholds(f"{path}: {section}.{key} must be a number, not {value!r}")
            if not math.isfinite(value) or not low <= value <= high:
                raise InvalidThresholds(f"{path}: {section}.{key} = {value} is outside [{low:g}, {high:g}]")
    merged = {s: dict(v) for s, v in (base or {}).items()}
    for section, values in config.items():
        merged.setdefault(section, {}).update(values)
    rows = merged.get("row_count", {})
    if rows.get("min_ratio", 0) > rows.get("max_ratio", math.inf):
        raise InvalidThresholds(f"{path}: row_count.min_ratio is above row_count.max_ratio")
    return merged


def read_gates_file(path: Path, base: dict | None = None) -> dict:
    try:
        parsed = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise InvalidThresholds(f"{path}: not valid YAML ({err})") from None
    return validated(path, parsed, base)


def load_thresholds(home_root: Path) -> Thresholds:
    config = read_gates_file(DEFAULTS)
    overrides = []
    for name, kind in ((OVERRIDE_NAME, "permanent"), (ONE_SHOT_NAME, "one-shot")):
        path = home_root / name
        if path.exists():
            config = read_gates_file(path, config)
            values = yaml.safe_dump(yaml.safe_load(path.read_text()), default_flow_style=True).strip()
            overrides.append(f"{kind}: {name} {values}")
    rows = config["row_count"]
    return Thresholds(float(rows["min_ratio"]), float(rows["max_ratio"]),
                      Envelope(**{k: float(v) for k, v in config["envelope"].items()}), tuple(overrides))
