"""The raw contract, derived from the reader Formats and nothing else: each raw table's schema, the raw gate's
rules, and the columns of the dbt source YAML. Changing a bound in a Format changes the reader, the raw gate and
the dbt sources together (`python -m pipelines.sources.contract` rewrites the source YAML; a test checks it).
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import yaml

from expectations.raw import (
    RawRule,
    RawTable,
    at_least,
    at_most,
    counted,
    dated_within,
    finite,
    matching,
    not_null,
    one_of,
    quoted,
    sql_literal,
    unique,
)

from ..settings import DBT_DIR
from .base import EARLIEST_DATE, LATEST_DATE, ROW, Column, Format
from .registry import FORMATS

DUCKDB_TYPES = {pl.String: "VARCHAR", pl.Float64: "DOUBLE", pl.Int64: "BIGINT", pl.UInt64: "UBIGINT",
                pl.Date: "DATE", pl.Datetime: "TIMESTAMP", pl.Boolean: "BOOLEAN"}
# load metadata on every raw row: which load, which file (as it arrived), its hash, when, and the line in it
LOAD_COLUMNS = (("_load_id", "VARCHAR"), ("_source_file", "VARCHAR"), ("_source_sha256", "VARCHAR"),
                ("_loaded_at", "TIMESTAMP"), (ROW, "BIGINT"))
SOURCES_DIR = DBT_DIR / "models" / "staging"


def duckdb_type(dtype: pl.DataType) -> str:
    """The DuckDB type of a column stored as the reader types it (lists of structs included)."""
    if isinstance(dtype, pl.List):
        return duckdb_type(dtype.inner) + "[]"
    if isinstance(dtype, pl.Struct):
        return "STRUCT(" + ", ".join(f"{f.name} {duckdb_type(f.dtype)}" for f in dtype.fields) + ")"
    return DUCKDB_TYPES[dtype]


def tables() -> dict[str, list[Format]]:
    """Every raw table, with the formats that land in it."""
    return {t: [f for f in FORMATS if f.table == t] for t in dict.fromkeys(f.table for f in FORMATS)}


def raw_schema(fmt: Format) -> dict[str, str]:
    """The raw table's columns and DuckDB types: the format's stored columns, then the load metadata."""
    return {**{name: duckdb_type(dtype) for name, dtype in fmt.stored}, **dict(LOAD_COLUMNS)}


def _stored_columns(fmt: Format):
    stored = {name for name, _ in fmt.stored}
    return [c for c in (fmt.output or fmt.columns) if c.name in stored]


def format_rules(fmt: Format) -> list[RawRule]:
    """What one format declares about the columns it stores: required values, bounds, finite numbers, plausible
    dates, allowed values and patterns, its row rules, its key."""
    rules = []
    for col in _stored_columns(fmt):
        if col.required and not col.nullable:
            rules.append(not_null(col.name))
        if isinstance(col.dtype, pl.List):
            rules += _pair_rules(col.name, col.dtype, fmt.variable)
        elif col.dtype in (pl.Date, pl.Datetime):
            low = col.min if isinstance(col.min, date) else EARLIEST_DATE
            high = col.max if isinstance(col.max, date) else LATEST_DATE
            rules.append(dated_within(col.name, low, high, " (a plausible date)"))
        else:
            if col.dtype == pl.Float64:
                rules.append(finite(col.name))
            if col.min is not None:
                rules.append(at_least(col.name, col.min, " (the format's bound)"))
            if col.max is not None:
                rules.append(at_most(col.name, col.max, " (the format's bound)"))
        if col.values:
            rules.append(one_of(col.name, col.values))
        if col.pattern:
            rules.append(matching(col.name, col.pattern))
    stored = {name for name, _ in fmt.stored}
    rules += [counted(column, "rule_" + _slug(message), f"({sql})", message)
              for message, column, sql in fmt.rules if column in stored]
    rules.append(unique(fmt.key, fmt.table))
    return rules


def _pair_rules(column: str, dtype: pl.List, variable: Column) -> list[RawRule]:
    """A list of (header, value) pairs holding a format's variable columns (the answers of a respondent): every
    header is one the variable matches and appears once, every value is within the variable's bounds."""
    name, value = (f.name for f in dtype.inner.fields)
    names, each = (f"list_transform({quoted(column)}, lambda pair: pair.{field})" for field in (name, value))
    rules = [counted(column, f"unexpected_{name}", f"not list_bool_and(list_transform({names}, lambda n: "
                                                  f"regexp_full_match(n, {sql_literal(variable.name)})))",
                     f"every {name} matches {variable.name}"),
             counted(column, f"repeated_{name}", f"len({names}) <> len(list_distinct({names}))", f"every {name} once")]
    if variable.min is not None:
        rules.append(counted(column, f"{value}__min", f"list_min({each}) < {variable.min}",
                             f"every {value} at least {variable.min:g} (the format's bound)"))
    if variable.max is not None:
        rules.append(counted(column, f"{value}__max", f"list_max({each}) > {variable.max}",
                             f"every {value} at most {variable.max:g} (the format's bound)"))
    return rules


def raw_table(table: str) -> RawTable:
    """The gate's view of one raw table: the rules every format landing in it agrees on."""
    formats = tables()[table]
    agreed = None
    for fmt in formats:
        mine = {r.statistic: r for r in format_rules(fmt)}
        agreed = mine if agreed is None else {s: r for s, r in agreed.items() if mine.get(s) == r}
    private = frozenset(c.name for f in formats for c in f.output or f.columns if c.privacy == "pseudonymise")
    return RawTable(table, raw_schema(formats[0]), tuple(agreed.values()), private, ("_source_file", ROW))


def source_columns(table: str) -> list[dict]:
    """The dbt source YAML's columns for a raw table: type, and the format's contract as meta."""
    formats = tables()[table]
    columns = []
    for col in _stored_columns(formats[0]):
        contract = {"required": col.required and not col.nullable}
        for name in ("min", "max", "pattern", "values", "privacy"):
            value = getattr(col, name)
            if value is not None:
                contract[name] = list(value) if isinstance(value, tuple) else \
                    value.isoformat() if isinstance(value, date) else value
        stored = dict(formats[0].stored)[col.name]
        columns.append({"name": col.name, "data_type": duckdb_type(stored).lower(), "meta": contract})
    if any(c.privacy == "age_band" for c in formats[0].columns):
        columns.append({"name": "age_band", "data_type": "varchar",
                        "meta": {"required": False, "privacy": "age band of the date of birth at the row's period"}})
    return columns


def render_sources(path: Path) -> str:
    """The source YAML at `path` with each table's columns derived from its format (descriptions kept)."""
    spec = yaml.safe_load(path.read_text())
    for source in spec["sources"]:
        for entry in source["tables"]:
            entry["columns"] = source_columns(entry["name"])
    return yaml.safe_dump(spec, sort_keys=False, width=110, allow_unicode=True)


def source_files() -> list[Path]:
    return sorted(SOURCES_DIR.glob("*/_*__sources.yml"))


def _slug(text: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())[:40]


if __name__ == "__main__":  # rewrite the dbt source YAML from the formats
    for path in source_files():
        path.write_text(render_sources(path))
        print(f"wrote {path}", file=sys.stderr)
