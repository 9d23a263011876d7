"""Wide NHS Staff Survey organisation exports, read through a column map (maps/*.yml) into the long form.

A map names, for every column of the export, what it holds: the organisation and year keys, the geography
columns (whose meaning may change by survey year), each measure's item, measure, scale and base column, and
the columns deliberately ignored, with why. A column the map does not name makes the file unrecognised, so a
changed export is rejected rather than half-read.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl
import yaml

from .base import ROW, Column, Format, normalise_header

MAPS_DIR = Path(__file__).parent / "maps"
# scale in the file -> factor to the warehouse's scale (percentages 0-100, sub-scores 0-10)
SCALES = {"0-100": 100.0, "0-1": 1.0, "0-10": 10.0}
TO_WAREHOUSE = {"0-100": 1.0, "0-1": 100.0, "0-10": 1.0}
MEASURES = ("pct_positive", "pct_often_always", "pct_yes", "sub_score")
KEYS = ("org_code", "survey_year", "org_name", "benchmarking_group", "weighting")
GEOGRAPHY = ("published_icb_name", "published_region_name")

MAPPED_OUTPUT = (
    Column("survey_year", pl.Int64),
    Column("org_code", pl.String),
    Column("org_name", pl.String),
    Column("benchmarking_group", pl.String),
    Column("weighting", pl.String),
    # as the file gives them, for reference only: real files leave them empty for some organisations and years
    Column("published_icb_name", pl.String, nullable=True),
    Column("published_region_name", pl.String, nullable=True),
    Column("question_code", pl.String),
    Column("measure", pl.String),
    Column("value", pl.Float64),
    Column("base", pl.Int64),
    Column("source_column", pl.String),
    Column("scale_in_file", pl.String),
)


def map_format(path: Path) -> Format:
    """The Format a column-map file describes; errors name the map file and the entry."""
    spec = yaml.safe_load(path.read_text())
    where = path.name

    def fail(message: str) -> ValueError:
        return ValueError(f"column map {where}: {message}")

    keys = spec["columns"]
    if set(keys) != set(KEYS):
        raise fail(f"'columns' must name exactly {', '.join(KEYS)}")
    geography = {str(year): names for year, names in spec["geography"].items()}
    if "default" not in geography or any(set(v) != set(GEOGRAPHY) for v in geography.values()):
        raise fail(f"'geography' needs a 'default' entry, and every entry names {', '.join(GEOGRAPHY)}")
    no_value = tuple(spec.get("no_value", []))
    measures = spec["measures"]
    for column, m in measures.items():
        if m["measure"] not in MEASURES or m["scale"] not in SCALES:
            raise fail(f"measure {column}: measure must be one of {MEASURES}, scale one of {tuple(SCALES)}")
    ignored = {c for columns in spec.get("ignored", {}).values() for c in columns}
    geo_columns = {c for names in geography.values() for c in names.values()}
    bases = {m["base"] for m in measures.values() if m.get("base")}

    columns = (
        Column("org_code", pl.String, header=normalise_header(keys["org_code"]), pattern=spec["org_code_pattern"]),
        Column("survey_year", pl.Int64, header=normalise_header(keys["survey_year"]), min=2000, max=2100),
        *(Column(k, pl.String, header=normalise_header(keys[k]), nullable=True)
          for k in ("org_name", "benchmarking_group", "weighting")),
        *(_mapped("geo", c, pl.String) for c in sorted(geo_columns)),
        *(_mapped("value", c, pl.Float64, min=0, max=SCALES[m["scale"]]) for c, m in measures.items()),
        *(_mapped("base", c, pl.Int64, min=0, thousands=True) for c in sorted(bases)),
        *(_mapped("ignored", c, pl.String, required=False) for c in sorted(ignored)),
    )
    return Format(
        name=spec["name"],
        family="survey",
        table="survey_org_results_mapped",
        description=spec["description"],
        columns=columns,
        reshape=lambda df: to_long(df, geography, measures, no_value),
        output=MAPPED_OUTPUT,
        key=("survey_year", "org_code", "question_code", "measure"),
        period="survey_year",
        org="org_code",
    )


def _mapped(role: str, header: str, dtype: pl.DataType, **checks) -> Column:
    """A column of the export, named by its role in the map (geo:region, value:burned_out_rate, ...)."""
    return Column(f"{role}:{normalise_header(header)}", dtype, header=normalise_header(header), nullable=True, **checks)


def _role(role: str, header: str) -> pl.Expr:
    return pl.col(f"{role}:{normalise_header(header)}")


def _no_value(expr: pl.Expr, markers: tuple[str, ...]) -> pl.Expr:
    return pl.when(expr.is_in(markers)).then(None).otherwise(expr)


def _by_year(geography: dict[str, dict[str, str]], target: str) -> pl.Expr:
    """The column holding `target` in each survey year (the export reuses columns with new meanings)."""
    expr = _role("geo", geography["default"][target])
    for year, names in geography.items():
        if year != "default":
            expr = pl.when(pl.col("survey_year") == int(year)).then(_role("geo", names[target])).otherwise(expr)
    return expr


def to_long(df: pl.DataFrame, geography: dict, measures: dict, no_value: tuple[str, ...]) -> pl.DataFrame:
    """One row per organisation x year x measured item; values on the warehouse's scale; withheld cells dropped."""
    common = [pl.col(ROW), *(pl.col(k) for k in KEYS),
              *(_no_value(_by_year(geography, g), no_value).alias(g) for g in GEOGRAPHY)]
    parts = [
        df.select(
            *common,
            pl.lit(m["question_code"]).alias("question_code"),
            pl.lit(m["measure"]).alias("measure"),
            # rounded so that 0.6125 x 100 is 61.25, not 61.250000000000014
            (_role("value", column) * TO_WAREHOUSE[m["scale"]]).round(10).alias("value"),
            (_role("base", m["base"]) if m.get("base") else pl.lit(None, pl.Int64)).alias("base"),
            pl.lit(column).alias("source_column"),
            pl.lit(m["scale"]).alias("scale_in_file"),
        )
        for column, m in measures.items()
    ]
    return pl.concat(parts).drop_nulls("value").select(ROW, *(c.name for c in MAPPED_OUTPUT))


MAPPED_FORMATS: tuple[Format, ...] = tuple(map_format(p) for p in sorted(MAPS_DIR.glob("*.yml")))
