"""Raw-table suites: schema, types and ranges of every landed table, checked before dbt reads it.

Raw tables can be tens of millions of rows (record-level extracts), so DuckDB computes one profile row per
table (minima, maxima, counts of offending rows) and GX validates that profile. When a statistic fails,
DuckDB fetches a few offending rows with the file and line they came from.

A table is profiled over the rows the gate has not passed yet. When a table passes, the gate records each of its
loads with a fingerprint of that load's rows (count and sum of row hashes) and of the contract it passed
(landing.raw_gate_passed). The next time, only the rows of loads that are new or whose rows changed in any way
(a correction, a hand edit) are profiled; a rule comparing rows with each other (a key's uniqueness) reads every
row sharing a value with them. Rows that passed under the same contract cannot fail it, so the verdict is the
whole table's: a new month profiles that month, not three years. A changed contract, or `everything` (the
pipeline's switch for a full build), profiles every row. The same scan fingerprints each table by month for the dbt
build that follows the gate (`keep_fingerprints`).

The gate is given each table's contract (`RawTable`: schema and rules), derived by the pipeline from the reader's
extract formats (pipelines/sources/contract.py); nothing here restates a bound or imports the pipeline. Numbers
are checked finite here too, independently of the reader (defence in depth).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb

from .runner import EXAMPLES, Frame, Gate, Verdict

PASSED = "landing.raw_gate_passed"  # per table and contract: the loads whose rows passed, and their fingerprints
FINGERPRINTS = "landing.raw_gate_fingerprints"  # the rows of each table by month, as the last gate passed them
# the rows of a table (or of a group of them) as one number: a row added, removed or changed in any value changes it
# (the raw and mart gates and the dbt build state fingerprint what they read with it)
ROWS_HASHED = "sum(hash(*columns(*))::hugeint)"


def month_of(column: str | None) -> str:
    """The first day of the month of a row's `column` (null without one): the months rows are fingerprinted by, in
    the raw gate and the dbt build state alike."""
    return f"date_trunc('month', {quoted(column)})::date" if column else "null::date"


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
    pairwise: bool = False  # compares rows with each other: profiled over every row sharing `columns` with a new one

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
    months: str | None = None  # the date column placing a row in a month, for the dbt build state (`keep_fingerprints`)

    @property
    def contract(self) -> str:
        """A fingerprint of what the table is checked against: rows passed under another contract are checked again."""
        return hashlib.sha256(repr((self.schema, self.rules)).encode()).hexdigest()[:16]


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
                   f"one row per {', '.join(key)}", exact=f"count(*) - count(distinct row({cols}))", pairwise=True)


def _suffix(where: str) -> str:
    return "_where_" + "".join(ch if ch.isalnum() else "_" for ch in where).strip("_") if where else ""


def _where(where: str) -> str:
    return f" where {where}" if where else ""


@dataclass(frozen=True)
class Profile:
    """What DuckDB measured of one raw table, for Great Expectations to judge."""

    table: RawTable
    actual: dict[str, str]  # column -> DuckDB type, as found
    rules: tuple[RawRule, ...]  # those whose columns are there
    statistics: object | None  # pandas.DataFrame, one row: None when the schema is wrong or every load passed
    note: str

    @property
    def check(self) -> str:
        return f"gx_raw_{self.table.name}"

    @property
    def stands(self) -> bool:
        """Every row passed this contract and none changed since: nothing to judge."""
        return self.statistics is None and self.table.schema == self.actual


def validate_raw(con: duckdb.DuckDBPyConnection, gate: Gate, table: RawTable, everything: bool = False) -> Verdict:
    """Validate raw.<table> against its contract: the rows not passed yet, or `everything`."""
    return judge(con, gate, profile(con, table, everything))


def profile(con: duckdb.DuckDBPyConnection, table: RawTable, everything: bool = False) -> Profile:
    """DuckDB's half of the check, run for every table before Great Expectations judges any (its import, seconds,
    is then under way in another thread: `runner.import_in_background`)."""
    actual = dict(con.execute("select column_name, data_type from information_schema.columns where table_schema = 'raw' "
                              "and table_name = ? and table_catalog = current_database()", [table.name]).fetchall())
    rules = tuple(r for r in table.rules if set(r.columns) <= set(actual))
    if table.schema != actual:
        return Profile(table, actual, rules, None, "profile skipped: the schema is wrong")
    total, new_loads = _new_loads(con, table, everything)
    if new_loads == 0:  # every row passed this contract and none changed since: the verdict stands
        return Profile(table, actual, rules, None,
                       f"0 of {total} rows profiled (every load passed under this contract and is unchanged since)")
    # every row new (a first gate): one scan for every statistic; else the new rows, and for a rule comparing rows
    # with each other every row sharing its columns with one of them
    new = f"from raw.{table.name}" + ("" if new_loads is None else
                                       " where coalesce(_load_id, '') in (select load_id from gate_new_loads)")
    pairwise = [r for r in rules if r.pairwise and new_loads is not None]
    selects = "".join(f", {r.aggregate} as {quoted(r.statistic)}" for r in rules if r not in pairwise)
    statistics = con.execute(f"select count(*) as rows{selects} {new}").df()

    def rows_for(rule: RawRule) -> tuple[str, list]:
        if rule not in pairwise:
            return new, []
        cols = ", ".join(quoted(c) for c in rule.columns)
        within, bounds = _within(con, rule.columns, new)
        return f"from raw.{table.name} where hash({cols}) in (select hash({cols}) {new}){within}", bounds

    for r in pairwise:
        rows, bounds = rows_for(r)
        statistics[r.statistic] = con.execute(f"select {r.aggregate} {rows}", bounds).fetchone()[0]
    for r in rules:
        if r.exact and statistics[r.statistic][0] > 0:
            rows, bounds = rows_for(r)
            statistics[r.statistic] = con.execute(f"select {r.exact} {rows}", bounds).fetchone()[0]
    scope = "every row" if new_loads is None else \
        f"the rows of {new_loads} load{'' if new_loads == 1 else 's'} new or changed since the table last passed"
    return Profile(table, actual, rules, statistics,
                   f"{int(statistics['rows'][0])} of {total} rows profiled in DuckDB ({scope})")


def judge(con: duckdb.DuckDBPyConnection, gate: Gate, profiled: Profile) -> Verdict:
    """Great Expectations' half: the schema and the profile against the contract; a pass is recorded, a failed
    statistic is shown with a few of the rows breaking it."""
    table, relation = profiled.table, f"raw.{profiled.table.name}"
    if profiled.stands:
        return Verdict(profiled.check, relation, 0, notes=(profiled.note,))
    import great_expectations.expectations as gxe
    import pandas as pd

    expected, actual = table.schema, profiled.actual
    schema = pd.DataFrame([{"column_name": c, "expected_type": expected.get(c, "(not in the format)"),
                            "actual_type": actual.get(c, "(missing)")} for c in {**expected, **actual}])
    frames = [Frame("schema", schema, [gxe.ExpectColumnPairValuesToBeEqual(
        column_A="actual_type", column_B="expected_type",
        meta={"column": "(schema)", "rule": "columns and types as the format defines them"})], ("column_name",))]
    if profiled.statistics is not None:
        frames.append(Frame("profile", profiled.statistics, [
            gxe.ExpectColumnValuesToBeBetween(column=r.statistic, **r.bound,
                                              meta={"column": r.column, "rule": r.rule, "aggregate": True})
            for r in profiled.rules]))
    verdict = gate.validate(profiled.check, relation, frames, notes=(profiled.note,))
    if verdict.success:
        _record_passed(con, table)
    by_statistic = {r.statistic: r for r in profiled.rules}
    return verdict.with_examples({f.statistic: offending_rows(con, table, by_statistic[f.statistic])
                                  for f in verdict.failures if f.statistic in by_statistic})


def _within(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], new: str) -> tuple[str, list]:
    """Each column between its least and greatest value in the new rows (or null): bound as values, DuckDB skips
    the stored row groups outside them (a new month's staff in post compared with that month's rows, not 53 M)."""
    bounds = con.execute("select " + ", ".join(f"min({quoted(c)}), max({quoted(c)})" for c in columns) + f" {new}"
                         ).fetchone()
    kept = [(c, low, high) for c, low, high in zip(columns, bounds[::2], bounds[1::2], strict=True) if low is not None]
    return ("".join(f" and ({quoted(c)} between ? and ? or {quoted(c)} is null)" for c, _, _ in kept),
            [v for _, low, high in kept for v in (low, high)])


def _new_loads(con: duckdb.DuckDBPyConnection, table: RawTable, everything: bool) -> tuple[int, int | None]:
    """Fingerprint the table's loads, by month of `table.months` (temporary table `_loads(table)`), and list those
    not passed under this contract (gate_new_loads): (rows in the table, how many loads are new, None when every
    one is)."""
    con.execute(f"""create or replace temp table {_loads(table)} as
                    select coalesce(_load_id, '') as load_id, {month_of(table.months)} as month, count(*) as rows,
                           {ROWS_HASHED} as fingerprint
                    from raw.{table.name} group by all""")
    con.execute("create schema if not exists landing")
    con.execute(f"create table if not exists {PASSED} (table_name VARCHAR, contract VARCHAR, load_id VARCHAR, "
                "rows BIGINT, fingerprint HUGEINT)")
    con.execute(f"""create or replace temp table gate_new_loads as
                    select load_id from ({_by_load(table)}) g where ? or not exists (
                        select 1 from {PASSED} p where p.table_name = ? and p.contract = ? and p.load_id = g.load_id
                          and p.rows = g.rows and p.fingerprint = g.fingerprint)""",
                [everything, table.name, table.contract])
    total, loads = con.execute(f"select coalesce(sum(rows), 0), count(*) from ({_by_load(table)})").fetchone()
    new = con.execute("select count(*) from gate_new_loads").fetchone()[0]
    return int(total), None if new == loads else new


def _loads(table: RawTable) -> str:
    return f"gate_loads_{table.name}"


def _by_load(table: RawTable) -> str:
    return f"select load_id, sum(rows) as rows, sum(fingerprint) as fingerprint from {_loads(table)} group by load_id"


def _record_passed(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """Every load of the table passed (fingerprinted as its profile began), under this contract."""
    con.execute(f"delete from {PASSED} where table_name = ?", [table.name])
    con.execute(f"insert into {PASSED} select ?, ?, load_id, rows, fingerprint from ({_by_load(table)})",
                [table.name, table.contract])


def keep_fingerprints(con: duckdb.DuckDBPyConnection, run: str, tables: list[RawTable]) -> None:
    """After a gate every table passed: each table's rows by month, as profiled, for the dbt build of the same run
    (pipelines/build_state.py), which would otherwise read every row again."""
    con.execute(f"create table if not exists {FINGERPRINTS} (run VARCHAR, relation VARCHAR, months VARCHAR, "
                "month DATE, rows HUGEINT, fingerprint HUGEINT)")
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {FINGERPRINTS}")
        for table in tables:
            con.execute(f"""insert into {FINGERPRINTS} select ?, ?, ?, month, sum(rows), sum(fingerprint)
                            from {_loads(table)} group by month""", [run, f"raw.{table.name}", table.months])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def offending_rows(con: duckdb.DuckDBPyConnection, table: RawTable, rule: RawRule) -> tuple[str, ...]:
    """A few rows breaking the rule, by file and line; pseudonymised identifiers are not repeated in messages."""
    columns = ", ".join(quoted(c) for c in rule.columns)
    file, line = (quoted(c) for c in table.provenance)
    rows = con.execute(f"""select {file}, {line}, {columns} from raw.{table.name}
                           where {rule.violation} order by {file}, {line} limit {EXAMPLES}""").fetchall()
    return tuple(f"{f} row {n}: " + ", ".join(f"{c}=" + ("(an identifier)" if c in table.private else str(v))
                                              for c, v in zip(rule.columns, values, strict=False))
                 for f, n, *values in rows)
