"""Raw-table suites: schema, types and ranges of every landed table, checked before dbt reads it.

Raw tables can be tens of millions of rows (record-level extracts), so DuckDB computes one profile row per
table (minima, maxima, counts of offending rows) and GX validates that profile. When a statistic fails,
DuckDB fetches a few offending rows with the file and line they came from.

The rules come from the extract formats that land in the table (required values, declared bounds, allowed
values and patterns, plausible dates, the key) plus the family module's rules for columns a family shares
by name (rates 0-100, scores 0-10, days not negative).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from pipelines.landing import ensure_raw_tables
from pipelines.sources import ROW, Format
from pipelines.sources.base import EARLIEST_DATE, LATEST_DATE

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
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
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


def counted(column: str, name: str, violation: str, rule: str, columns: tuple[str, ...] | None = None) -> RawRule:
    """A rule no row may break: the statistic counts the rows that do."""
    return RawRule(columns or (column,), f"{column}__{name}", f"count(*) filter (where {violation})",
                   {"max_value": 0}, violation, rule)


def not_null(column: str) -> RawRule:
    return counted(column, "nulls", f"{quoted(column)} is null", "a value is required")


def one_of(column: str, values: tuple[str, ...]) -> RawRule:
    allowed = ", ".join(sql_literal(v) for v in values)
    return counted(column, "unexpected", f"{quoted(column)} not in ({allowed})", f"one of {', '.join(values)}")


def matching(column: str, pattern: str) -> RawRule:
    return counted(column, "malformed", f"not regexp_matches({quoted(column)}, {sql_literal(pattern)})",
                   f"matches {pattern}")


def dated_within(column: str, low: date, high: date, why: str = "") -> RawRule:
    c = quoted(column)
    return counted(column, "out_of_range", f"{c} < {sql_literal(low)} or {c} > {sql_literal(high)}",
                   f"between {low} and {high}{why}")


def not_after(first: str, second: str) -> RawRule:
    return counted(first, f"after_{second}", f"{quoted(first)} > {quoted(second)}", f"not later than {second}",
                   (first, second))


def unique(key: tuple[str, ...], table: str) -> RawRule:
    cols = ", ".join(quoted(k) for k in key)
    return RawRule(tuple(key), "__".join(key) + "__duplicate_rows", f"count(*) - count(distinct ({cols}))",
                   {"max_value": 0},
                   f"({cols}) in (select ({cols}) from raw.{table} group by all having count(*) > 1)",
                   f"one row per {', '.join(key)}")


def _suffix(where: str) -> str:
    return "_where_" + "".join(ch if ch.isalnum() else "_" for ch in where).strip("_") if where else ""


def _where(where: str) -> str:
    return f" where {where}" if where else ""


def format_rules(fmt: Format) -> list[RawRule]:
    """What one extract format declares about the columns it reads and stores as read."""
    stored = {name for name, _ in fmt.stored}
    rules = []
    for col in fmt.columns:
        if col.name not in stored:
            continue  # reshaped away, or a date of birth stored as an age band
        if col.required and not col.nullable:
            rules.append(not_null(col.name))
        if isinstance(col.min, date) or isinstance(col.max, date) or col.dtype in (pl.Date, pl.Datetime):
            low = col.min if isinstance(col.min, date) else EARLIEST_DATE
            high = col.max if isinstance(col.max, date) else LATEST_DATE
            rules.append(dated_within(col.name, low, high, " (a plausible date)"))
        else:
            if col.min is not None:
                rules.append(at_least(col.name, col.min, " (the format's bound)"))
            if col.max is not None:
                rules.append(at_most(col.name, col.max, " (the format's bound)"))
        if col.values:
            rules.append(one_of(col.name, col.values))
        if col.pattern:
            rules.append(matching(col.name, col.pattern))
    rules.append(unique(fmt.key, fmt.table))
    return rules


def table_rules(formats: list[Format], family_rules: list[RawRule]) -> list[RawRule]:
    """The rules every format landing in the table agrees on, then the family's."""
    agreed = None
    for fmt in formats:
        mine = {r.statistic: r for r in format_rules(fmt)}
        agreed = mine if agreed is None else {s: r for s, r in agreed.items() if mine.get(s) == r}
    return list({**agreed, **{r.statistic: r for r in family_rules}}.values())


def expected_schema(formats: list[Format]) -> dict[str, str]:
    """The columns and types the landing code creates for the table (asked of it, not restated here)."""
    with duckdb.connect() as con:
        ensure_raw_tables(con, tuple(formats))
        return dict(con.execute("select column_name, data_type from information_schema.columns "
                                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                                [formats[0].table]).fetchall())


def validate_raw(con: duckdb.DuckDBPyConnection, gate: Gate, formats: list[Format],
                 family_rules: list[RawRule]) -> Verdict:
    """Validate raw.<table>, where `formats` are the extract formats that land in it."""
    import great_expectations.expectations as gxe
    import pandas as pd

    table = formats[0].table
    check = f"gx_raw_{table}"
    expected = expected_schema(formats)
    actual = dict(con.execute("select column_name, data_type from information_schema.columns where table_schema = 'raw' "
                              "and table_name = ? and table_catalog = current_database()", [table]).fetchall())
    schema = pd.DataFrame([{"column_name": c, "expected_type": expected.get(c, "(not in the format)"),
                            "actual_type": actual.get(c, "(missing)")} for c in {**expected, **actual}])
    schema_frame = Frame("schema", schema, [gxe.ExpectColumnPairValuesToBeEqual(
        column_A="actual_type", column_B="expected_type",
        meta={"column": "(schema)", "rule": "columns and types as the format defines them"})], ("column_name",))
    if expected != actual:
        return gate.validate(check, f"raw.{table}", [schema_frame], notes=("profile skipped: the schema is wrong",))

    rules = [r for r in table_rules(formats, family_rules) if set(r.columns) <= set(actual)]
    selects = "".join(f", {r.aggregate} as {quoted(r.statistic)}" for r in rules)
    profile = con.execute(f"select count(*) as rows{selects} from raw.{table}").df()
    profile_frame = Frame("profile", profile, [
        gxe.ExpectColumnValuesToBeBetween(column=r.statistic, **r.bound,
                                          meta={"column": r.column, "rule": r.rule, "aggregate": True})
        for r in rules])
    verdict = gate.validate(check, f"raw.{table}", [schema_frame, profile_frame],
                            notes=(f"{int(profile['rows'][0])} rows profiled in DuckDB",))
    private = {c.name for f in formats for c in f.output or f.columns if c.privacy == "pseudonymise"}
    by_statistic = {r.statistic: r for r in rules}
    return verdict.with_examples({f.statistic: offending_rows(con, table, by_statistic[f.statistic], private)
                                  for f in verdict.failures if f.statistic in by_statistic})


def offending_rows(con: duckdb.DuckDBPyConnection, table: str, rule: RawRule, private: set[str]) -> tuple[str, ...]:
    """A few rows breaking the rule, by file and line; pseudonymised identifiers are not repeated in messages."""
    columns = ", ".join(quoted(c) for c in rule.columns)
    rows = con.execute(f"""select _source_file, {ROW}, {columns} from raw.{table}
                           where {rule.violation} order by _source_file, {ROW} limit {EXAMPLES}""").fetchall()
    return tuple(f"{file} row {line}: " + ", ".join(f"{n}=" + ("(an identifier)" if n in private else str(v))
                                                    for n, v in zip(rule.columns, values))
                 for file, line, *values in rows)
