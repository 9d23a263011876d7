"""Raw-table suites: schema, types and ranges of every landed table, checked before dbt reads it.

Raw tables can be tens of millions of rows (record-level extracts), so DuckDB computes one profile row per
table (minima, maxima, counts of offending rows) and GX validates that profile. When a statistic fails,
DuckDB fetches a few offending rows with the file and line they came from.

The gate is given each table's contract (`RawTable`: schema and rules), derived by the pipeline from the reader's
extract formats (pipelines/sources/contract.py); nothing here restates a bound or imports the pipeline. Numbers
are checked finite here too, independently of the reader (defence in depth).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

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
    exact: str | None = None  # when `aggregate` may overstate (hashes can collide): the exact one, run if it fails

    @property
    def column(self) -> str:
        return ", ".join(self.columns)


@dataclass(frozen=True)
class RawTable:
    """What the gate checks one raw table against."""

    name: str
    schema: dict[str, str]  # column -> DuckDB type, in order
    rules: tuple[RawRule, ...]
    private: frozenset[str]  # pseudonymised identifiers: never repeated in messages
    provenance: tuple[str, str]  # the columns naming a row's file and line


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


def finite(column: str) -> RawRule:
    return counted(column, "non_finite", f"not isfinite({quoted(column)})", "a finite number (not NaN or infinity)")


def dated_within(column: str, low: date, high: date, why: str = "") -> RawRule:
    c = quoted(column)
    return counted(column, "out_of_range", f"{c} < {sql_literal(low)} or {c} > {sql_literal(high)}",
                   f"between {low} and {high}{why}")


def unique(key: tuple[str, ...], table: str) -> RawRule:
    cols = ", ".join(quoted(k) for k in key)
    # distinct 64-bit hashes of the key: half the time of distinct keys over tens of millions of rows; a collision
    # can only make it count a duplicate that is not there, so a count above zero is confirmed exactly. Both
    # count a null key value as a value, as the loader's uniqueness check does.
    return RawRule(tuple(key), "__".join(key) + "__duplicate_rows", f"count(*) - count(distinct hash({cols}))",
                   {"max_value": 0},
                   f"({cols}) in (select ({cols}) from raw.{table} group by all having count(*) > 1)",
                   f"one row per {', '.join(key)}", exact=f"count(*) - count(distinct row({cols}))")


def _suffix(where: str) -> str:
    return "_where_" + "".join(ch if ch.isalnum() else "_" for ch in where).strip("_") if where else ""


def _where(where: str) -> str:
    return f" where {where}" if where else ""


def validate_raw(con: duckdb.DuckDBPyConnection, gate: Gate, table: RawTable) -> Verdict:
    """Validate raw.<table> against its contract."""
    import great_expectations.expectations as gxe
    import pandas as pd

    check = f"gx_raw_{table.name}"
    expected = table.schema
    actual = dict(con.execute("select column_name, data_type from information_schema.columns where table_schema = 'raw' "
                              "and table_name = ? and table_catalog = current_database()", [table.name]).fetchall())
    schema = pd.DataFrame([{"column_name": c, "expected_type": expected.get(c, "(not in the format)"),
                            "actual_type": actual.get(c, "(missing)")} for c in {**expected, **actual}])
    schema_frame = Frame("schema", schema, [gxe.ExpectColumnPairValuesToBeEqual(
        column_A="actual_type", column_B="expected_type",
        meta={"column": "(schema)", "rule": "columns and types as the format defines them"})], ("column_name",))
    if expected != actual:
        return gate.validate(check, f"raw.{table.name}", [schema_frame], notes=("profile skipped: the schema is wrong",))

    rules = [r for r in table.rules if set(r.columns) <= set(actual)]
    selects = "".join(f", {r.aggregate} as {quoted(r.statistic)}" for r in rules)
    profile = con.execute(f"select count(*) as rows{selects} from raw.{table.name}").df()
    for r in rules:
        if r.exact and profile[r.statistic][0] > 0:
            profile[r.statistic] = con.execute(f"select {r.exact} from raw.{table.name}").fetchone()[0]
    profile_frame = Frame("profile", profile, [
        gxe.ExpectColumnValuesToBeBetween(column=r.statistic, **r.bound,
                                          meta={"column": r.column, "rule": r.rule, "aggregate": True})
        for r in rules])
    verdict = gate.validate(check, f"raw.{table.name}", [schema_frame, profile_frame],
                            notes=(f"{int(profile['rows'][0])} rows profiled in DuckDB",))
    by_statistic = {r.statistic: r for r in rules}
    return verdict.with_examples({f.statistic: offending_rows(con, table, by_statistic[f.statistic])
                                  for f in verdict.failures if f.statistic in by_statistic})


def offending_rows(con: duckdb.DuckDBPyConnection, table: RawTable, rule: RawRule) -> tuple[str, ...]:
    """A few rows breaking the rule, by file and line; pseudonymised identifiers are not repeated in messages."""
    columns = ", ".join(quoted(c) for c in rule.columns)
    file, line = (quoted(c) for c in table.provenance)
    rows = con.execute(f"""select {file}, {line}, {columns} from raw.{table.name}
                           where {rule.violation} order by {file}, {line} limit {EXAMPLES}""").fetchall()
    return tuple(f"{f} row {n}: " + ", ".join(f"{c}=" + ("(an identifier)" if c in table.private else str(v))
                                              for c, v in zip(rule.columns, values, strict=False))
                 for f, n, *values in rows)
