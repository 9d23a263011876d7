"""What the dbt project promises about each published table, read from its manifest.

The mart YAML declares everything a gate needs, once: each column's type (the enforced contract), its
`meta` (`scale: percent` for 0-100, `scale: score` for 0-10, `withheld_by: <flag>` for a column that is null
where that flag is set) and the grain (the model's `unique_combination` test). Descriptions are prose for
readers: rewording one changes no gate.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# the period a row belongs to, in order of preference
PERIOD_COLUMNS = ("period_month", "survey_year", "year")
NUMERIC_TYPES = re.compile(r"^(double|float|real|decimal|numeric|hugeint|u?bigint|u?integer|int\d*|u?smallint|u?tinyint)")


@dataclass(frozen=True)
class MartContract:
    table: str
    columns: dict[str, str]  # name -> declared data type
    grain: tuple[str, ...]
    meta: dict[str, dict] = field(default_factory=dict)  # name -> the column's declared meta
    # prose for readers, published with each snapshot (meta.column_definitions): no gate reads it, and two
    # contracts that differ only in their prose are the same contract
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)  # "(table)" and each column -> text

    def declared(self, key: str, value: str | None = None) -> list[str]:
        """The columns whose meta sets `key` (to `value`, when given)."""
        return [c for c in self.columns if key in self.meta.get(c, {})
                and (value is None or self.meta[c][key] == value)]

    @property
    def percent_columns(self) -> list[str]:
        return self.declared("scale", "percent")

    @property
    def score_columns(self) -> list[str]:
        return self.declared("scale", "score")

    @property
    def withheld(self) -> dict[str, list[str]]:
        """Each suppression flag and the columns declared null where it is set."""
        out: dict[str, list[str]] = {}
        for c in self.declared("withheld_by"):
            out.setdefault(self.meta[c]["withheld_by"], []).append(c)
        return out

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
    """Every model under models/marts/, with its columns, their meta and its grain."""
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
            grain=grains.get(uid, ()),
            meta={c: (spec.get("config") or {}).get("meta") or spec.get("meta") or {}
                  for c, spec in node["columns"].items()},
            descriptions={name: " ".join((text or "").split()) for name, text in [
                ("(table)", node.get("description")),
                *((c, spec.get("description")) for c, spec in node["columns"].items())]},
        )
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }


def load_manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def dbt_vars(con) -> dict:
    """The vars the last dbt build applied (dbt_project.yml or --vars over it), as dbt recorded them in the build
    database: thresholds the models applied, which the gates re-check."""
    rows = con.execute("select var_name, value_json from intermediate.int_build__vars").fetchall()
    return {name: json.loads(value) for name, value in rows}
