"""Raw-table suites: schema, types and ranges of every landed table, checked before dbt reads it.

Raw tables can be tens of millions of rows (record-level extracts), so DuckDB computes one profile row per
table (minima, maxima, null and duplicate counts) and GX validates that profile. When a statistic fails,
DuckDB fetches a few offending rows with the file and line they came from.

The rules come from the extract's Format (required columns, declared bounds, key) plus the family
module's rules for columns every family shares by name (rates 0-100, scores 0-10, days not negative).
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.landing import ensure_raw_tables
from pipelines.sources import ROW, Format

from .runner import EXAMPLES, Frame, Gate, Verdict


@dataclass(frozen=True)
class RawRule:
    """One statistic over the whole table, the bound it must meet, and the rows that break it."""

    columns: tuple[str, ...]  # the raw columns it guards
    statistic: str  # name of the profile column
    aggregate: str  # SQL aggregate over the table
    bound: dict  # min_value / max_value for the statistic
    violation: str  # SQL predicate true on an offending row
    rule: str  # in words, for the message

    @property
    def column(self) -> str:
        return ", ".join(self.columns)


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def sql_literal(value) -> str:
    return "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else str(value)


def at_least(column: str, low: float, why: str = "", where: str = "") -> RawRule:
    c, cond = quoted(column), f" and ({where})" if where else ""
    return RawRule((column,), f"{column}__min" + _suffix(where), f"min({c}) filter (where true{cond})",
                   {"min_value": low}, f"{c} < {low}{cond}", f"at least {low:g}{why}{_where(where)}")


def at_most(column: str, high: float, why: str = "", where: str = "") -> RawRule:
    c, cond = quoted(column), f" and ({where})" if where else ""
    return RawRule((column,), f"{column}__max" + _suffix(where), f"max({c}) filter (where true{cond})",
                   {"max_value": high}, f"{c} > {high}{cond}", f"at most {high:g}{why}{_where(where)}")


def between(column: str, low: float, high: float, why: str = "", where: str = "") -> list[RawRule]:
    return [at_least(column, low, why, where), at_most(column, high, why, where)]


def not_null(column: str) -> RawRule:
    c = quoted(column)
    return RawRule((column,), f"{column}__nulls", f"count(*) filter (where {c} is null)", {"max_value": 0},
                   f"{c} is null", "a value is required")


def one_of(column: str, values: tuple[str, ...]) -> RawRule:
    c, allowed = quoted(column), ", ".join(sql_literal(v) for v in values)
    return RawRule((column,), f"{column}__unexpected", f"count(*) filter (where {c} not in ({allowed}))",
                   {"max_value": 0}, f"{c} not in ({allowed})", f"one of {', '.join(values)}")


def not_after(first: str, second: str) -> RawRule:
    a, b = quoted(first), quoted(second)
    return RawRule((first, second), f"{first}__after_{second}", f"count(*) filter (where {a} > {b})", {"max_value": 0},
                   f"{a} > {b}", f"not greater than {second}")


def unique(key: tuple[str, ...], table: str) -> RawRule:
    cols = ", ".join(quoted(k) for k in key)
    return RawRule(tuple(key), "__".join(key) + "__duplicate_rows",
                   f"count(*) - count(distinct ({cols}))", {"max_value": 0},
                   f"({cols}) in (select ({cols}) from raw.{table} group by all having count(*) > 1)",
                   f"one row per {', '.join(key)}")


def _suffix(where: str) -> str:
    return "_where_" + "".join(ch if ch.isalnum() else "_" for ch in where).strip("_") if where else ""


def _where(where: str) -> str:
    return f" where {where}" if where else ""


def format_rules(fmt: Format, columns: set[str]) -> list[RawRule]:
    """What the extract's own Format declares: required values, bounds, one row per key."""
    rules = []
    for col in fmt.columns:
        if col.name not in columns:
            continue
        if col.required and not col.nullable:
            rules.append(not_null(col.name))
        if col.min is not None:
            rules.append(at_least(col.name, col.min, " (the format's bound)"))
        if col.max is not None:
            rules.append(at_most(col.name, col.max, " (the format's bound)"))
    if fmt.key and set(fmt.key) <= columns:
        rules.append(unique(fmt.key, fmt.table))
    return rules


def expected_schema(fmt: Format) -> dict[str, str]:
    """The columns and types the landing code creates for this format (asked of it, not restated here)."""
    with duckdb.connect() as con:
        ensure_raw_tables(con, (fmt,))
        return dict(con.execute("select column_name, data_type from information_schema.columns "
                                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                                [fmt.table]).fetchall())


def validate_raw(con: duckdb.DuckDBPyConnection, gate: Gate, fmt: Format, family_rules: list[RawRule]) -> Verdict:
    import great_expectations.expectations as gxe
    import pandas as pd

    check, table = f"gx_raw_{fmt.table}", f"raw.{fmt.table}"
    expected = expected_schema(fmt)
    actual = dict(con.execute("select column_name, data_type from information_schema.columns where table_schema = 'raw' "
                              "and table_name = ? and table_catalog = current_database()", [fmt.table]).fetchall())
    schema = pd.DataFrame([{"column_name": c, "expected_type": expected.get(c, "(not in the format)"),
                            "actual_type": actual.get(c, "(missing)")} for c in {**expected, **actual}])
    schema_frame = Frame("schema", schema, [gxe.ExpectColumnPairValuesToBeEqual(
        column_A="actual_type", column_B="expected_type",
        meta={"column": "(schema)", "rule": "columns and types as the format defines them"})], ("column_name",))
    if any(actual.get(c) != t for c, t in expected.items()) or set(actual) - set(expected):
        return gate.validate(check, table, [schema_frame], notes=("profile skipped: the schema is wrong",))

    rules = [r for r in format_rules(fmt, set(actual)) + family_rules
             if set(r.columns) <= set(actual)]
    rules = list({r.statistic: r for r in rules}.values())
    selects = ", ".join(f"{r.aggregate} as {quoted(r.statistic)}" for r in rules) or "1 as no_rules"
    profile = con.execute(f"select count(*) as rows, {selects} from raw.{fmt.table}").df()
    profile_frame = Frame("profile", profile, [
        gxe.ExpectColumnValuesToBeBetween(column=r.statistic, **r.bound,
                                          meta={"column": r.column, "rule": r.rule, "aggregate": True})
        for r in rules])
    verdict = gate.validate(check, table, [schema_frame, profile_frame],
                            notes=(f"{int(profile['rows'][0])} rows profiled in DuckDB",))
    by_statistic = {r.statistic: r for r in rules}
    return verdict.with_examples({f.statistic: offending_rows(con, fmt.table, by_statistic[f.statistic])
                                  for f in verdict.failures if f.statistic in by_statistic})


def offending_rows(con: duckdb.DuckDBPyConnection, table: str, rule: RawRule) -> tuple[str, ...]:
    columns = ", ".join(quoted(c) for c in rule.columns)
    rows = con.execute(f"""select _source_file, {ROW}, {columns} from raw.{table}
                           where {rule.violation} order by _source_file, {ROW} limit {EXAMPLES}""").fetchall()
    return tuple(f"{file} row {line}: " + ", ".join(f"{n}={v}" for n, v in zip(rule.columns, values))
                 for file, line, *values in rows)
