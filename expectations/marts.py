"""Mart suites, three blocking checks per published table:

- gx_<table>: the contract's promises: grain unique and complete, documented scales (0-100, 0-10), counts
  and days not negative, codes known to dim_ics / dim_organisation, every ICS present in every period;
- distribution_<table>: no row count, period mean or ICS rate far outside its history in the snapshot
  readers see now (thresholds.yml);
- disclosure_<table>: no small cell shown, no record-level identifier published (disclosure.py), and, on the
  mart that carries a family's attack, no withheld cell worked out by the differencing attack (attack.py).

Marts are aggregates, small enough to validate row by row in pandas; cross-table facts (which ICSs each
period should have, the previous snapshot's history) are aggregated in DuckDB first.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from .attack import attack_frame
from .contract import MartContract
from .disclosure import (
    COUNTS,
    SICKNESS_DENOMINATOR,
    disclosure_expectations,
    publishable_columns_expectation,
)
from .raw import quoted, sql_literal
from .runner import Failure, Frame, Gate, Verdict
from .thresholds import Thresholds

BASES = ("as_at", "current")
# column types that can hold NaN or +-inf (integers cannot)
FLOATING = ("double", "float", "real", "decimal", "numeric")
PREVIOUS = "previous"  # the alias the serving snapshot is attached under
NON_FINITE = "not_finite"  # the helper column naming a row's NaN or infinite numbers
FINITE_RULE = "every number finite (not NaN, not +-inf)"


@dataclass(frozen=True)
class MartRules:
    """What the family modules say about mart columns, by name (a column means the same in every mart)."""

    non_negative: frozenset[str]
    ordered: tuple[tuple[str, str], ...]
    watched_rates: frozenset[str]
    partial_by_design: dict[str, str]
    outside_ics_code: str


@dataclass(frozen=True)
class Reference:
    """A dimension a mart's codes must appear in."""

    column: str
    dimension: str


REFERENCES = (Reference("icb_code", "dim_ics"), Reference("org_code", "dim_organisation"))


def read(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).df()


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str, catalog: str | None = None) -> set[str]:
    """Tables in one schema of the build database (or of an attached one)."""
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ? "
        "and table_catalog = coalesce(?, current_database())", [schema, catalog]).fetchall()}


# --- gx_<table> -------------------------------------------------------------------------------------------

def validate_contract(con: duckdb.DuckDBPyConnection, gate: Gate, contract: MartContract, rules: MartRules) -> Verdict:
    import great_expectations.expectations as gxe

    check, table = f"gx_{contract.table}", f"marts.{contract.table}"
    if not contract.grain:
        return Verdict(check, table, 1, (Failure("(grain)", "the model declares its grain (a unique_combination test)",
                                                 "none declared"),))
    columns = set(contract.columns)
    percent, score = contract.percent_columns, contract.score_columns
    non_negative = sorted((rules.non_negative & columns) - set(percent) - set(score))
    ordered = [(a, b) for a, b in rules.ordered if a in columns and b in columns]
    built = existing_tables(con, "marts")
    references = [r for r in REFERENCES if r.column in columns and r.dimension != contract.table]
    missing = [r for r in references if r.dimension not in built]
    references = [r for r in references if r not in missing]
    wanted = dict.fromkeys([*contract.grain, *percent, *score, *non_negative, *(c for pair in ordered for c in pair),
                            *(r.column for r in references), *(["boundary_basis"] if "boundary_basis" in columns else [])])
    # organisation tables keep bodies outside any ICS; ICS tables may not
    also = {r.column: [rules.outside_ics_code] if r.column == "icb_code" and not contract.is_ics_level else []
            for r in references}
    known = "".join(f", {known_code(r, len(also[r.column]))}" for r in references)
    # pandas reads NaN as missing, so finiteness is decided in DuckDB: one column naming the row's non-finite
    # numbers (null when there are none), one expectation for all of them (GX's cost is per expectation)
    floating = [c for c, t in contract.columns.items() if t.lower().startswith(FLOATING)]
    if floating:
        named = ", ".join(f"case when not isfinite({quoted(c)}) then {sql_literal(c)} end" for c in floating)
        known += f", nullif(concat_ws(', ', {named}), '') as {NON_FINITE}"
    rows = read(con, f"select {', '.join(map(quoted, wanted))}{known} from marts.{contract.table}",
                [code for r in references for code in also[r.column]])

    expectations = [gxe.ExpectColumnValuesToNotBeNull(column=c, meta={"rule": "part of the grain: never null"})
                    for c in contract.grain]
    expectations.append(gxe.ExpectCompoundColumnsToBeUnique(
        column_list=list(contract.grain), meta={"column": ", ".join(contract.grain),
                                                "rule": "one row per " + ", ".join(contract.grain)}))
    expectations += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=100,
                                                       meta={"rule": "a percentage, 0-100 (its contract says so)"})
                     for c in percent]
    expectations += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=10,
                                                       meta={"rule": "a score, 0-10 (its contract says so)"})
                     for c in score]
    expectations += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, meta={"rule": "not negative"})
                     for c in non_negative]
    if floating:
        expectations.append(gxe.ExpectColumnValuesToBeNull(
            column=NON_FINITE, meta={"column": "(numbers)", "rule": FINITE_RULE}))
    expectations += [gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing",
        meta={"column": a, "rule": f"not less than {b}"}) for a, b in ordered]
    if "boundary_basis" in columns:
        expectations.append(gxe.ExpectColumnValuesToBeInSet(column="boundary_basis", value_set=list(BASES),
                                                            meta={"rule": "as_at or current"}))
    expectations += [gxe.ExpectColumnValuesToBeInSet(
        column=f"{r.column}__known", value_set=[True],
        meta={"column": r.column, "rule": f"a code known to marts.{r.dimension}"}) for r in references]
    failures = tuple(Failure(r.column, f"a code known to marts.{r.dimension}", f"marts.{r.dimension} is not built")
                     for r in missing)
    frames = [Frame("rows", rows, expectations, contract.grain)]
    if contract.is_ics_level and contract.table not in rules.partial_by_design and "dim_ics" in built:
        frames.append(completeness_frame(con, contract))
    verdict = gate.validate(check, table, frames)
    return Verdict(check, table, verdict.evaluated + len(failures), verdict.failures + failures, verdict.notes)


def known_code(ref: Reference, extra_codes: int) -> str:
    """A True/False column: is the row's code in the dimension (or among `extra_codes` parameters)? Null if no code."""
    allowed = f"select {ref.column} from marts.{ref.dimension}" + " union select ?" * extra_codes
    return f"case when {ref.column} is null then null else {ref.column} in ({allowed}) end as {ref.column}__known"


def completeness_frame(con: duckdb.DuckDBPyConnection, contract: MartContract) -> Frame:
    """Every ICS present in every period it should be, on each boundary basis.

    Between its first and last period an ICS has no gaps. After its last period (on the as_at basis) it is
    still expected unless it ended: marts.dim_ics closes it, or a new ICS code appears in the very next
    period (a merger into a new code before the reference data says so). So an ICS missing from the latest
    month fails; Norfolk and Waveney folding into a new ICB does not. On the current basis history is
    restated and an ICS made only of closed organisations legitimately stops: only gaps count there.
    """
    import great_expectations.expectations as gxe

    period = contract.period_column
    has_basis = "boundary_basis" in contract.columns
    basis = "boundary_basis" if has_basis else "'as_at'"
    # the first day of the period after an ICS's last one
    next_start = "nxt.period" if period == "period_month" else "make_date(nxt.period::int, 1, 1)"
    frame = read(con, f"""
        with published as (
            select distinct {basis} as boundary_basis, {period} as period, icb_code
            from marts.{contract.table} where icb_code is not null),
        periods as (
            select boundary_basis, period, row_number() over (partition by boundary_basis order by period) as n
            from (select distinct boundary_basis, period from published)),
        spans as (
            select boundary_basis, icb_code, min(n) as first_n, max(n) as last_n
            from published join periods using (boundary_basis, period) group by all),
        closed as (
            select icb_code, max(coalesce(valid_to, date '9999-12-31')) as valid_to from marts.dim_ics group by all),
        expected as (
            select s.icb_code, p.period, p.boundary_basis
            from spans s join periods p on p.boundary_basis = s.boundary_basis
            where p.n between s.first_n and s.last_n
               or (p.n > s.last_n and s.boundary_basis = 'as_at'
                   and not exists (select 1 from spans newcomer where newcomer.boundary_basis = s.boundary_basis
                                   and newcomer.first_n = s.last_n + 1)
                   and not exists (select 1 from closed c join periods nxt on nxt.boundary_basis = s.boundary_basis
                                   and nxt.n = s.last_n + 1 where c.icb_code = s.icb_code and c.valid_to < {next_start})))
        select e.icb_code, e.period as {period}, e.boundary_basis, pub.icb_code is not null as published
        from expected e left join published pub using (icb_code, period, boundary_basis)
        order by 1, 2, 3""")
    return Frame("completeness", frame, [gxe.ExpectColumnValuesToBeInSet(
        column="published", value_set=[True],
        meta={"column": "icb_code", "rule": f"every ICS present in every {period} it exists in, on each boundary basis"})],
        ("icb_code", period, "boundary_basis") if has_basis else ("icb_code", period))


# --- distribution_<table> ---------------------------------------------------------------------------------

def validate_distribution(con: duckdb.DuckDBPyConnection, gate: Gate, contract: MartContract, rules: MartRules,
                          thresholds: Thresholds, previous_attached: bool) -> Verdict:
    check, table = f"distribution_{contract.table}", f"marts.{contract.table}"
    if not previous_attached:
        return Verdict(check, table, 0, notes=("first publication: no earlier snapshot to compare with",))
    if contract.table not in existing_tables(con, "marts", catalog=PREVIOUS):
        return Verdict(check, table, 0, notes=("not in the published snapshot yet: nothing to compare with",))
    previous_rows = con.execute(f"select count(*) from {PREVIOUS}.marts.{contract.table}").fetchone()[0]
    if previous_rows == 0:
        return Verdict(check, table, 0, notes=("empty in the published snapshot: nothing to compare with",))
    published_columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and table_schema = 'marts' "
        "and table_name = ?", [PREVIOUS, contract.table]).fetchall()}
    if not set(contract.grain) <= published_columns:
        return Verdict(check, table, 0, notes=("the grain changed since the published snapshot: nothing to compare",))
    # a column added since the published snapshot has no history yet
    contract = replace(contract, columns={c: t for c, t in contract.columns.items() if c in published_columns})
    frames = [row_count_frame(con, contract, thresholds, previous_rows)]
    if contract.period_column:
        frames.append(period_profile_frame(con, contract, thresholds))
    watched = sorted(rules.watched_rates & set(contract.columns))
    if contract.is_ics_level and watched:
        frames.append(watched_rates_frame(con, contract, thresholds, watched))
    return gate.validate(check, table, frames, notes=(f"compared with the published snapshot ({previous_rows} rows)",))


def row_count_frame(con, contract: MartContract, thresholds: Thresholds, previous_rows: int) -> Frame:
    import great_expectations.expectations as gxe

    frame = read(con, f"select count(*) as rows from marts.{contract.table}")
    low, high = previous_rows * thresholds.min_row_ratio, previous_rows * thresholds.max_row_ratio
    return Frame("row_count", frame, [gxe.ExpectColumnValuesToBeBetween(
        column="rows", min_value=low, max_value=high, meta={
            "column": "(row count)", "aggregate": True,
            "rule": f"within {thresholds.min_row_ratio:g}-{thresholds.max_row_ratio:g} times the {previous_rows} "
                    f"rows published now ({low:g}-{high:g})"})])


def within_envelope(rule: str, column: str) -> list:
    """value between lowest_expected and highest_expected (a missing value or history is not judged)."""
    import great_expectations.expectations as gxe

    meta = {"column": column, "rule": rule}
    return [gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=a, column_B=b, or_equal=True,
                                                        ignore_row_if="either_value_is_missing", meta=meta)
            for a, b in (("value", "lowest_expected"), ("highest_expected", "value"))]


def profile_sql(relation: str, contract: MartContract) -> str:
    means = "".join(f", avg({quoted(m)}) as {quoted('mean ' + m)}" for m in contract.measures)
    return f"select {contract.period_column} as period, count(*) as rows{means} from {relation} group by all"


def period_profile_frame(con, contract: MartContract, thresholds: Thresholds) -> Frame:
    """Per period: the row count and each measure's mean, against the range of each over the published periods."""
    current = read(con, profile_sql(f"marts.{contract.table}", contract))
    history = read(con, profile_sql(f"{PREVIOUS}.marts.{contract.table}", contract))
    bounds = {s: thresholds.envelope.bounds(past.min(), past.max(), past.mean())
              for s in history.columns.drop("period") if not (past := history[s].dropna().astype(float)).empty}
    frame = current.melt(id_vars="period", var_name="statistic", value_name="value")
    frame = frame[frame["statistic"].isin(bounds)].astype({"value": float})
    frame["lowest_expected"] = frame["statistic"].map(lambda s: bounds[s][0])
    frame["highest_expected"] = frame["statistic"].map(lambda s: bounds[s][1])
    frame = frame.rename(columns={"period": contract.period_column}).sort_values(["statistic", contract.period_column])
    return Frame("period_profile", frame, within_envelope(
        "each period's row count and measure means within the published periods' range of each, "
               "widened (thresholds.yml envelope)", "(per period)"), ("statistic", contract.period_column))


def watched_rates_frame(con, contract: MartContract, thresholds: Thresholds, rates: list[str]) -> Frame:
    """Each ICS's watched rates, every period, against that ICS's own published history of each."""
    import pandas as pd

    entity = [c for c in contract.grain if c != contract.period_column]
    keys = ", ".join(map(quoted, entity))
    frame = pd.concat([read(con, f"""
        select '{rate}' as measure, n.*, h.low, h.high, h.mean
        from (select {keys}, {contract.period_column}, {quoted(rate)}::double as value from marts.{contract.table}) n
        join (select {keys}, min({quoted(rate)}) as low, max({quoted(rate)}) as high, avg({quoted(rate)}) as mean
              from {PREVIOUS}.marts.{contract.table} group by all) h using ({keys})""") for rate in rates])
    env = thresholds.envelope
    margin = ((frame["high"] - frame["low"]) * env.range_multiplier).clip(
        lower=frame["mean"].abs() * env.relative_margin).clip(lower=env.absolute_margin)
    frame["lowest_expected"], frame["highest_expected"] = frame["low"] - margin, frame["high"] + margin
    frame = frame.drop(columns=["low", "high", "mean"]).sort_values(["measure", *entity, contract.period_column])
    return Frame("watched_rates", frame, within_envelope(
        "each ICS's rate within its own published history, widened (thresholds.yml envelope)",
        "(per ICS)"), ("measure", *entity, contract.period_column))


# --- disclosure_<table> -----------------------------------------------------------------------------------

def validate_disclosure(con: duckdb.DuckDBPyConnection, gate: Gate, contract: MartContract,
                        limits: dict[str, float]) -> Verdict:
    import pandas as pd

    check, table = f"disclosure_{contract.table}", f"marts.{contract.table}"
    actual = read(con, "select column_name from information_schema.columns where table_schema = 'marts' "
                       "and table_name = ? and table_catalog = current_database()", [contract.table])
    expectations = disclosure_expectations(contract, limits)
    flags = list(contract.withheld)
    needed = dict.fromkeys([*contract.grain, *sorted({e.column for e in expectations}), *flags,
                            *({SICKNESS_DENOMINATOR} & set(contract.columns))])
    rows = read(con, f"select {', '.join(map(quoted, needed))} from marts.{contract.table}")
    for c in set(COUNTS) & set(needed):
        if contract.columns[c].lower().startswith(("varchar", "text", "string")):
            # a count published as text ("<11", "withheld", "27"): the numbers in it are what is shown
            rows[c] = pd.to_numeric(rows[c].where(rows[c].str.fullmatch(r"\d+", na=False)), errors="coerce")
    frames = [Frame("columns", actual, [publishable_columns_expectation()], ("column_name",)),
              Frame("cells", rows, expectations, contract.grain)]
    attacked, notes = attack_frame(con, contract.table) or (None, ())
    if attacked is not None:
        frames.append(Frame("attack", attacked, [attack_expectation()], ("system", "cell")))
    return gate.validate(check, table, frames, notes)


def attack_expectation():
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeNull(column="recovered_by", meta={
        "column": "(withheld cells)",
        "rule": "no withheld cell can be worked out from the published totals and parts (differencing attack)"})
