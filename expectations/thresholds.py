"""Gate thresholds: the documented defaults (thresholds.yml) with a home's own overrides (<home>/gates.yml)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULTS = Path(__file__).with_name("thresholds.yml")
OVERRIDE_NAME = "gates.yml"


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

    def as_dict(self) -> dict:
        return {"row_count": {"min_ratio": self.min_row_ratio, "max_ratio": self.max_row_ratio},
                "envelope": vars(self.envelope)}


def load_thresholds(home_root: Path) -> Thresholds:
    config = yaml.safe_load(DEFAULTS.read_text())
    override = home_root / OVERRIDE_NAME
    if override.exists():
        for section, values in (yaml.safe_load(override.read_text()) or {}).items():
            if section not in config or not isinstance(values, dict) or not set(values) <= set(config[section]):
                raise ValueError(f"{override}: unknown setting '{section}' "
                                 f"(known: {', '.join(f'{s}.{k}' for s in config for k in config[s])})")
            config[section].update(values)
    rows = config["row_count"]
    return Thresholds(float(rows["min_ratio"]), float(rows["max_ratio"]),
                      Envelope(**{k: float(v) for k, v in config["envelope"].items()}))
