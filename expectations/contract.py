"""What the dbt project promises about each published table, read from its manifest.

The mart contracts already say everything a gate needs: each column's type and documented scale
("% (0-100)", "0-10"), and the grain (the model's `unique_combination` test). Reading them here keeps the
gates in step with the models without a second list to maintain.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

# a documented scale in a column description: "% (0-100)", "score 0-10"
PERCENT_SCALE = re.compile(r"\b0\s*[-–]\s*100\b")
SCORE_SCALE = re.compile(r"\b0\s*[-–]\s*10\b(?!0)")
# differences, control limits and test statistics are on the column's scale but may leave its range
UNBOUNDED_NAME = re.compile(r"change|diff|delta|limit|_lcl|_ucl|z_score|_z$")
# the period a row belongs to, in order of preference
PERIOD_COLUMNS = ("period_month", "survey_year", "year")
NUMERIC_TYPES = re.compile(r"^(double|float|real|decimal|numeric|hugeint|u?bigint|u?integer|int\d*|u?smallint|u?tinyint)")


@dataclass(frozen=True)
class MartContract:
    table: str
    columns: dict[str, str]  # name -> declared data type
    descriptions: dict[str, str]
    grain: tuple[str, ...]

    def scaled(self, pattern: re.Pattern) -> list[str]:
        return [c for c, text in self.descriptions.items()
                if pattern.search(text) and not UNBOUNDED_NAME.search(c) and self.is_numeric(c)]

    @property
    def percent_columns(self) -> list[str]:
        return self.scaled(PERCENT_SCALE)

    @property
    def score_columns(self) -> list[str]:
        return [c for c in self.scaled(SCORE_SCALE) if c not in self.percent_columns]

    @property
    def period_column(self) -> str | None:
        return next((c for c in PERIOD_COLUMNS if c in self.grain), None)

    @property
    def is_ics_level(self) -> bool:
        """One row per ICS (not per organisation) and period: the tables every ICS must appear in."""
        return "icb_code" in self.grain and "org_code" not in self.grain and self.period_column is not None

    def is_numeric(self, column: str) -> bool:
        return bool(NUMERIC_TYPES.match(self.columns.get(column, "").lower()))

    @property
    def measures(self) -> list[str]:
        """Numeric columns outside the grain: what a distribution check profiles."""
        return [c for c in self.columns if self.is_numeric(c) and c not in self.grain]


def mart_contracts(manifest: dict) -> dict[str, MartContract]:
    """Every model under models/marts/, with its columns, descriptions and grain."""
    grains = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and meta.get("name") == "unique_combination":
            grains[node["attached_node"]] = tuple(meta["kwargs"]["columns"])
        elif node["resource_type"] == "test" and meta.get("name") == "unique":
            grains.setdefault(node["attached_node"], (meta["kwargs"]["column_name"],))
    return {
        node["name"]: MartContract(
            table=node["name"],
            columns={c: (spec.get("data_type") or "") for c, spec in node["columns"].items()},
            descriptions={c: spec.get("description") or "" for c, spec in node["columns"].items()},
            grain=grains.get(uid, ()),
        )
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }


def load_manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def dbt_vars(project_dir: Path) -> dict:
    """The vars in force (dbt_project.yml): thresholds the models apply, which the gates re-check."""
    return yaml.safe_load((project_dir / "dbt_project.yml").read_text()).get("vars", {})
