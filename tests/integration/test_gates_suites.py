"""The suites themselves, on small hand-made tables in a throwaway DuckDB: each rule passes good data and
fails bad data with the column and values named (real GX, real DuckDB; no pipeline run)."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from dataclasses import replace

import duckdb
import pytest
import yaml

from expectations.contract import MartContract, dbt_vars, load_manifest, mart_contracts
from expectations.disclosure import disclosure_expectations
from expectations.disclosure import thresholds as disclosure_limits
from expectations.marts import PREVIOUS, validate_contract, validate_disclosure, validate_distribution
from expectations.raw import unique, validate_raw
from expectations.runner import Gate
from expectations.standing import configuration, run_or_stand
from expectations.suites import mart_rules
from expectations.thresholds import Envelope, load_thresholds
from pipelines.landing import ensure_raw_tables
from pipelines.project import dbt_project
from pipelines.sources.contract import raw_table
from pipelines.sources.sickness import SICKNESS_ORG
from pipelines.sources.survey import SURVEY_RESPONDENTS
from tests.fixtures.warehouse import dbt

RULES = mart_rules("QZZ")
ICS_MONTHLY = MartContract(
    table="ics_rates", grain=("icb_code", "period_month", "boundary_basis"),
    columns={"icb_code": "varchar", "period_month": "date", "boundary_basis": "varchar", "n_orgs": "bigint",
             "sickness_rate": "double"},
    meta={"sickness_rate": {"scale": "percent"}})
DIM_ICS = """create table marts.dim_ics (icb_code varchar, valid_from date, valid_to date);
    insert into marts.dim_ics values ('QUE', '2022-07-01', '2026-03-31'), ('QSYN1', '2026-04-01', null),
                                     ('QH8', '2022-07-01', null)"""


@pytest.fixture
def gate(tmp_path) -> Gate:
    return Gate("test", tmp_path / "docs", "test-run")


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("create schema marts")
        yield con


def rates(con, rows: list[tuple], relation: str = "marts.ics_rates") -> None:
    con.execute(f"create or replace table {relation} (icb_code varchar, period_month date, boundary_basis varchar, "
                f"n_orgs bigint, sickness_rate double)")
    con.executemany(f"insert into {relation} values (?, ?, ?, ?, ?)", rows)


def months_of(icbs, periods, bases=("as_at", "current"), rate=5.0):
    return [(icb, p, b, 3, rate) for icb in icbs for p in periods for b in bases]


def test_contracts_come_from_the_dbt_manifest():
    contracts = mart_contracts(load_manifest(dbt_project.manifest_path))
    sickness = contracts["ics_sickness_monthly"]
    assert sickness.grain == ("icb_code", "period_month", "boundary_basis")
    assert {"sickness_rate", "sickness_rate_12m"} <= set(sickness.percent_columns)
    assert sickness.is_ics_level and sickness.period_column == "period_month"
    assert "fte_days_available" in sickness.measures and "icb_code" not in sickness.measures
    assert not contracts["dim_ics"].is_ics_level


def test_gates_read_the_declared_meta_and_never_the_descriptions():
    """Rewording every description changes no gate; changing a column's declared meta in the YAML does."""
    manifest = load_manifest(dbt_project.manifest_path)
    reworded = copy.deepcopy(manifest)
    for node in reworded["nodes"].values():
        for column in node.get("columns", {}).values():
            column["description"] = "reworded: null when withheld, % (0-100), a score 0-10"
    before, after = mart_contracts(manifest), mart_contracts(reworded)
    assert after == before
    limits = disclosure_limits({})
    survey = before["ics_psychological_safety"]
    assert "psi_pct_positive" in survey.percent_columns and "psi_pct_positive" in survey.withheld["suppressed"]
    assert [e.column for e in disclosure_expectations(after["ics_psychological_safety"], limits)] == \
        [e.column for e in disclosure_expectations(survey, limits)]

    node = next(n for n in manifest["nodes"].values() if n.get("name") == "ics_psychological_safety"
                and n["resource_type"] == "model")
    node["columns"]["psi_pct_positive"]["config"]["meta"] = {"scale": "score"}
    changed = mart_contracts(manifest)["ics_psychological_safety"]
    assert "psi_pct_positive" in changed.score_columns and "psi_pct_positive" not in changed.percent_columns
    assert "psi_pct_positive" not in changed.withheld.get("suppressed", [])


def test_the_gates_read_the_vars_dbt_built_with_including_vars_passed_over_the_project(tmp_path):
    """Every var of dbt_project.yml is recorded by the build, as dbt rendered it; --vars over the project wins,
    and the disclosure limits the mart gate applies follow it."""
    db = tmp_path / "build.duckdb"
    done = dbt(db, "build", "--select", "int_build__vars", variables={"min_respondents": 15, "spc_min_points": 9})
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as built:
        recorded = dbt_vars(built)
    project = yaml.safe_load((dbt_project.project_dir / "dbt_project.yml").read_text())["vars"]
    assert set(recorded) == set(project) - {"build_db"}
    assert recorded["min_respondents"] == 15 and recorded["spc_min_points"] == 9
    assert recorded["bri_weights"] == project["bri_weights"] and recorded["nhs_destinations"] == ["NHS Organisation"]
    assert disclosure_limits(recorded)["min_respondents"] == 15


def test_every_ics_in_every_period_while_it_exists(con, gate):
    """QUE merges into QSYN1 in April 2026 (dim_ics does not know yet); QMM merely stops reporting in March."""
    con.execute(DIM_ICS)
    con.execute("update marts.dim_ics set valid_to = null; insert into marts.dim_ics values ('QMM', '2022-07-01', null)")
    months = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    merged = (months_of(["QH8"], months) + months_of(["QUE"], months[:3], ["as_at"])
              + months_of(["QSYN1"], months[3:], ["as_at"]) + months_of(["QSYN1"], months, ["current"]))
    rates(con, merged)
    assert validate_contract(con, gate, ICS_MONTHLY, RULES).success  # the new code explains QUE's end

    rates(con, [r for r in merged if (r[0], r[1], r[2]) != ("QH8", "2026-02-01", "current")]
          + months_of(["QMM"], months[:2], ["as_at"]))
    [failure] = validate_contract(con, gate, ICS_MONTHLY, RULES).failures
    assert failure.column == "icb_code" and failure.failing.startswith("3 of")
    assert set(failure.examples) == {"icb_code=QH8, period_month=2026-02-01, boundary_basis=current",  # a gap
                                     "icb_code=QMM, period_month=2026-03-01, boundary_basis=as_at",  # gone,
                                     "icb_code=QMM, period_month=2026-04-01, boundary_basis=as_at"}  # unexplained

    con.execute("update marts.dim_ics set valid_to = date '2026-02-28' where icb_code = 'QMM'")  # now it is
    assert [f.examples for f in validate_contract(con, gate, ICS_MONTHLY, RULES).failures] == [
        ("icb_code=QH8, period_month=2026-02-01, boundary_basis=current",)]


def test_a_mart_check_is_run_again_when_anything_it_read_or_is_run_with_changed_and_only_then(con, gate):
    con.execute(DIM_ICS)
    months = ["2026-01-01", "2026-02-01"]
    rates(con, months_of(["QH8"], months) + months_of(["QUE"], months))

    def check(config: str = configuration(ICS_MONTHLY, RULES), everything: bool = False):
        before = gate._validations
        verdict = run_or_stand(con, "gx_ics_rates", "marts.ics_rates", config,
                               lambda c: validate_contract(c, gate, ICS_MONTHLY, RULES), everything)
        return verdict.success, gate._validations > before  # passed, and ran

    assert check() == (True, True)
    assert check() == (True, False)  # nothing changed: the verdict stands, no suite runs
    con.execute("update marts.dim_ics set valid_to = null")  # a table the check read besides the mart
    assert check() == (True, True)
    assert check(configuration(ICS_MONTHLY, mart_rules("QYY"))) == (True, True)  # other rules
    assert check(everything=True) == (True, True)
    con.execute("update marts.ics_rates set sickness_rate = 101 where icb_code = 'QUE'")
    assert check() == (False, True)
    assert check() == (False, True)  # a failure is never taken as standing
    con.execute("alter table marts.ics_rates add column note varchar")  # columns count, not only rows
    con.execute("update marts.ics_rates set sickness_rate = 5")
    assert check() == (True, True)
    con.execute("alter table marts.ics_rates drop column note")
    assert check() == (True, True)
    assert check() == (True, False)


def test_what_a_mart_check_is_run_with_fingerprints_alike_in_every_process():
    """The rules hold sets, whose order differs between processes: a run must find the last run's record."""
    code = ("from expectations.standing import configuration; from expectations.suites import mart_rules; "
            "print(configuration(mart_rules('QZZ')))")
    printed = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(printed) == 1


def test_contract_ranges_grain_and_references(con, gate):
    con.execute(DIM_ICS)
    rates(con, months_of(["QH8"], ["2026-01-01"]) + [("QH8", "2026-01-01", "as_at", -1, 101.0),
                                                   ("QZZ", "2026-01-01", "as_at", 1, 3.0)])
    verdict = validate_contract(con, gate, ICS_MONTHLY, RULES)
    failed = {f.column: f for f in verdict.failures}
    assert set(failed) == {"icb_code, period_month, boundary_basis", "sickness_rate", "n_orgs", "icb_code"}
    assert "sickness_rate=101" in failed["sickness_rate"].examples[0]
    assert "icb_code=QZZ" in failed["icb_code"].examples[0]  # outside any ICS: not in an ICS table

    con.execute("drop table marts.dim_ics")
    assert any(f.failing == "marts.dim_ics is not built" for f in validate_contract(con, gate, ICS_MONTHLY, RULES).failures)
    ungrained = MartContract("ics_rates", ICS_MONTHLY.columns, (), ICS_MONTHLY.meta)
    assert validate_contract(con, gate, ungrained, RULES).failures[0].column == "(grain)"


def test_distribution_against_the_published_snapshot(con, gate, tmp_path):
    thresholds = load_thresholds(tmp_path)
    periods = ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert validate_distribution(con, gate, ICS_MONTHLY, RULES, thresholds, False).notes[0].startswith("first publication")

    with duckdb.connect(str(tmp_path / "serving.duckdb")) as published:
        published.execute("create schema marts")
        rates(published, [(icb, p, b, 3, rate) for icb, rate in (("QH8", 4.0), ("QUE", 6.0))
                          for p in periods for b in ("as_at", "current")])
    con.execute(f"attach '{tmp_path / 'serving.duckdb'}' as {PREVIOUS} (read_only)")

    steady = [(icb, p, b, 3, rate) for icb, rate in (("QH8", 4.5), ("QUE", 6.5))
              for p in [*periods, "2025-04-01"] for b in ("as_at", "current")]
    rates(con, steady)
    assert validate_distribution(con, gate, ICS_MONTHLY, RULES, thresholds, True).success

    # QH8 (history 4.0: allowed 2-6) jumps to 8 in April; the mean over both ICSs (7.25) stays within 2.5-7.5
    rates(con, [r if (r[0], r[1]) != ("QH8", "2025-04-01") else (*r[:4], 8.0) for r in steady])
    [jump] = validate_distribution(con, gate, ICS_MONTHLY, RULES, thresholds, True).failures
    assert jump.column == "(per ICS)" and jump.failing.startswith("2 of")  # both boundary bases
    assert {"measure=sickness_rate", "value=8", "highest_expected=6", "icb_code=QH8", "period_month=2025-04-01"} <= set(
        jump.examples[0].split(", "))

    rates(con, steady[:4])  # most published rows gone
    failures = validate_distribution(con, gate, ICS_MONTHLY, RULES, thresholds, True).failures
    assert failures[0].column == "(row count)" and failures[0].failing == "rows = 4"
    con.execute(f"detach {PREVIOUS}")


def test_envelope_is_the_history_widened_by_its_largest_margin():
    envelope = Envelope(range_multiplier=1.0, relative_margin=0.5, absolute_margin=1.0)
    assert envelope.bounds(4.0, 6.0, 5.0) == (1.5, 8.5)  # half the mean beats the range
    assert envelope.bounds(10.0, 30.0, 20.0) == (-10.0, 50.0)  # the range beats half the mean
    assert envelope.bounds(0.0, 0.0, 0.0) == (-1.0, 1.0)  # a history of zeros


def test_disclosure_scan(con, gate):
    limits = disclosure_limits({"min_respondents": 5})  # a var may not loosen the METRICS.md floor
    assert limits["min_respondents"] == 11
    survey = MartContract(
        table="org_survey", grain=("org_code", "survey_year"),
        columns={"org_code": "varchar", "survey_year": "integer", "n_respondents": "bigint",
                 "n_respondents_label": "varchar", "suppressed": "boolean", "psi_pct_positive": "double",
                 "pulse_n_responses": "bigint", "pulse_suppressed": "boolean", "pulse_psi_score": "double",
                 "respondent_pid": "varchar"},
        meta={"psi_pct_positive": {"scale": "percent", "withheld_by": "suppressed"},
              "pulse_psi_score": {"scale": "score", "withheld_by": "pulse_suppressed"},
              "n_respondents": {"withheld_by": "suppressed"}})
    con.execute("""create table marts.org_survey as select * from (values
        ('A', 2024, 250, '250', false, 61.0, 40, false, 6.5, null),
        ('B', 2024, null, '<11', true, null, 30, false, 7.0, null),
        ('C', 2024, null, 'withheld', true, null, 4, true, null, null)) t(
        org_code, survey_year, n_respondents, n_respondents_label, suppressed, psi_pct_positive,
        pulse_n_responses, pulse_suppressed, pulse_psi_score, respondent_pid)""")
    verdict = validate_disclosure(con, gate, survey, limits)
    assert [f.column for f in verdict.failures] == ["(columns)", "pulse_n_responses"]
    assert "column_name=respondent_pid" in verdict.failures[0].examples[0]
    assert verdict.failures[1].examples == ("org_code=C, survey_year=2024, pulse_n_responses=4",)

    con.execute("""insert into marts.org_survey values ('D', 2024, 7, '7', false, 55.0, null, false, null, null),
                   ('E', 2024, 15, '15', true, 48.0, null, false, null, null),
                   ('F', 2024, 20, '20', false, 50.0, 12, true, 6.0, null)""")
    failed = {(f.column, f.rule.split()[0]): f for f in validate_disclosure(con, gate, survey, limits).failures}
    assert failed["n_respondents", "a"].examples == ("org_code=D, survey_year=2024, n_respondents=7",)
    assert failed["n_respondents_label", "a"].examples == ("org_code=D, survey_year=2024, n_respondents_label=7",)
    assert "org_code=E" in failed["n_respondents", "withheld"].examples[0]
    assert "org_code=E" in failed["psi_pct_positive", "withheld"].examples[0]
    assert failed["pulse_psi_score", "withheld"].examples == ("org_code=F, survey_year=2024, pulse_psi_score=6",)


def test_a_frame_that_fails_is_reported_and_documented_in_full_once(gate, monkeypatch):
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    from expectations.runner import Frame

    asked = []  # how much each validation asked GX to gather
    run = gx.ValidationDefinition.run
    monkeypatch.setattr(gx.ValidationDefinition, "run", lambda self, **kw: (
        asked.append((self.name.split(".")[0], kw["result_format"]["result_format"])), run(self, **kw))[1])

    rule = {"column": "rate", "rule": "at most 100"}
    ok = Frame("ok", pd.DataFrame({"org": ["A", "B"], "rate": [5.0, 7.5]}),
               [gxe.ExpectColumnValuesToBeBetween(column="rate", max_value=100, meta=rule)], ("org",))
    bad = Frame("bad", pd.DataFrame({"org": ["A", "B", "C"], "rate": [5.0, 150.5, 7.5]}),
                [gxe.ExpectColumnValuesToBeBetween(column="rate", max_value=100, meta=rule),
                 gxe.ExpectColumnValuesToNotBeNull(column="org")], ("org",))
    assert gate.validate("check_ok", "t", [ok]).success
    verdict = gate.validate("check_bad", "t", [bad])
    # whether each expectation held, and only for the frame that failed, its failing rows
    assert asked == [("check_ok", "BOOLEAN_ONLY"), ("check_bad", "BOOLEAN_ONLY"), ("check_bad", "SUMMARY")]
    [failure] = verdict.failures
    assert verdict.evaluated == 2 and failure.failing == "1 of 3 rows failing"
    assert failure.examples == ("org=B, rate=150.5",)
    docs = gate.build_docs().parent
    pages = sorted(docs.joinpath("validations").rglob("*.html"))
    # one result per frame validated: the failing frame's full result replaced its first, yes-or-no one
    assert [p.relative_to(docs / "validations").parts[0] for p in pages] == ["check_bad", "check_ok"]
    assert "150.5" in pages[0].read_text()


def test_raw_suite_checks_schema_and_ranges(con, gate):
    ensure_raw_tables(con, (SICKNESS_ORG,))
    con.execute("""insert into raw.sickness_org values (date '2024-04-30', 'Y56', 'London', 'QMJ', 'North Central London',
                   'RAL', 'Royal Free', 'Acute', 10, 200, 5, 'load', 'a.csv', 'sha', now(), 2),
                   (date '2024-04-30', 'Y56', 'London', 'QMJ', 'North Central London',
                   'RAP', 'North Mid', 'Acute', -3, 0, 0, 'load', 'a.csv', 'sha', now(), 3)""")
    verdict = validate_raw(con, gate, raw_table("sickness_org"))
    [failure] = verdict.failures
    assert failure.column == "fte_days_lost" and failure.examples == ("a.csv row 3: fte_days_lost=-3.0",)

    con.execute("alter table raw.sickness_org alter fte_days_lost type varchar")
    [schema] = validate_raw(con, gate, raw_table("sickness_org")).failures
    assert schema.column == "(schema)" and "column_name=fte_days_lost" in schema.examples[0]


def test_the_raw_gate_checks_every_answer_in_a_respondent_s_list(con, gate):
    ensure_raw_tables(con, (SURVEY_RESPONDENTS,))
    answers = ("[{'question_code': 'q11c', 'answer_code': 3}, {'question_code': 'q12a', 'answer_code': 5}]",
               "[{'question_code': 'q11c', 'answer_code': 12}]",  # above the questionnaire's codes
               "[{'question_code': 'q11c', 'answer_code': 0}]",  # below them
               "[{'question_code': 'q11c', 'answer_code': 1}, {'question_code': 'q11c', 'answer_code': 2}]",
               "[{'question_code': 'Q11C', 'answer_code': 1}]",  # not a question column's name
               "[]")  # answered nothing: a respondent all the same
    con.execute("insert into raw.survey_responses values " + ", ".join(
        f"({row}, 'RJ1', 2024, 'Nurses', null, {a}, 'load', 'r.csv', 'sha', now(), {row})"
        for row, a in enumerate(answers, start=2)))
    failed = {f.statistic.removeprefix("answers__"): f.examples for f in validate_raw(con, gate, raw_table(
        "survey_responses")).failures}
    assert failed == {"answer_code__max": ("r.csv row 3: answers=[{'question_code': 'q11c', 'answer_code': 12}]",),
                      "answer_code__min": ("r.csv row 4: answers=[{'question_code': 'q11c', 'answer_code': 0}]",),
                      "repeated_question_code": ("r.csv row 5: answers=[{'question_code': 'q11c', 'answer_code': 1}, "
                                                 "{'question_code': 'q11c', 'answer_code': 2}]",),
                      "unexpected_question_code": ("r.csv row 6: answers=[{'question_code': 'Q11C', 'answer_code': 1}]",)}


def test_raw_uniqueness_is_counted_by_hash_and_confirmed_exactly(con, gate):
    ensure_raw_tables(con, (SICKNESS_ORG,))
    row = ("date '2024-04-30', 'Y56', 'London', 'QMJ', 'North Central London', 'RAL', 'Royal Free', 'Acute', 10, 200, 5, "
           "'load', 'a.csv', 'sha', now(), {}")
    con.execute(f"insert into raw.sickness_org values ({row.format(2)}), ({row.format(3)})")
    table = raw_table("sickness_org")
    [duplicates] = validate_raw(con, gate, table).failures
    assert duplicates.statistic.endswith("__duplicate_rows") and duplicates.failing.endswith("duplicate_rows = 1")
    assert duplicates.examples == ("a.csv row 2: date=2024-04-30, org_code=RAL", "a.csv row 3: date=2024-04-30, org_code=RAL")

    # a hash collision overstates the fast count: the exact count decides, and it finds no duplicate
    con.execute("delete from raw.sickness_org where _source_row = 3")
    colliding = tuple(replace(r, aggregate="1") if r.exact else r for r in table.rules)
    assert validate_raw(con, gate, replace(table, rules=colliding)).failures == ()


@pytest.mark.parametrize("months", [None, "date"])  # loads fingerprinted whole, or by month (for the dbt build)
def test_the_raw_gate_profiles_the_rows_it_has_not_passed_and_keys_against_the_whole_table(con, gate, months):
    ensure_raw_tables(con, (SICKNESS_ORG,))
    row = ("date '2024-0{month}-30', 'Y56', 'London', 'QMJ', 'North Central London', '{org}', 'Trust', 'Acute', "
           "{lost}, 200, {lost} / 2, '{load}', '{load}.csv', 'sha', now(), {line}")

    def insert(load: str, *rows: tuple[str, float]) -> None:  # a load's second row a month after its first
        values = ", ".join(f"({row.format(month=4 + i % 2, org=org, lost=lost, load=load, line=i + 2)})"
                           for i, (org, lost) in enumerate(rows))
        con.execute(f"insert into raw.sickness_org values {values}")

    def profiled(verdict) -> str:
        return verdict.notes[0]

    table = replace(raw_table("sickness_org"), months=months)
    insert("april", ("RAL", 10), ("RAP", 12))
    assert profiled(validate_raw(con, gate, table)) == "2 of 2 rows profiled in DuckDB (every row)"
    validations = gate._validations
    unchanged = validate_raw(con, gate, table)  # nothing new: nothing read, and no suite run on nothing
    assert (unchanged.success, profiled(unchanged), gate._validations) == (
        True, "0 of 2 rows profiled (every load passed under this contract and is unchanged since)", validations)

    insert("may", ("RAN", -1))  # a new load: its rows alone are profiled, and its bad row is found
    verdict = validate_raw(con, gate, table)
    assert profiled(verdict) == "1 of 3 rows profiled in DuckDB (the rows of 1 load new or changed since the table last passed)"
    assert {f.column: f.examples for f in verdict.failures}["fte_days_lost"] == ("may.csv row 2: fte_days_lost=-1.0",)
    con.execute("delete from raw.sickness_org where _load_id = 'may'")

    # a passed load changed by hand is profiled again
    assert validate_raw(con, gate, table).success
    con.execute("update raw.sickness_org set fte_days_lost = 300 where org_code = 'RAP'")
    assert "fte_days_lost" in [f.column for f in validate_raw(con, gate, table).failures]
    con.execute("update raw.sickness_org set fte_days_lost = 12 where org_code = 'RAP'")
    assert validate_raw(con, gate, table).success

    # a new load repeating a passed load's key: the uniqueness count reads the passed rows sharing the key
    insert("june", ("RAL", 1))
    [duplicates] = validate_raw(con, gate, table).failures
    assert duplicates.examples == ("april.csv row 2: date=2024-04-30, org_code=RAL",
                                   "june.csv row 2: date=2024-04-30, org_code=RAL")
    con.execute("delete from raw.sickness_org where _load_id = 'june'")
    assert validate_raw(con, gate, table).success

    # another contract, or the pipeline's switch for a full build, profiles every row
    stricter = replace(table, rules=table.rules[1:])
    assert profiled(validate_raw(con, gate, stricter)) == "2 of 2 rows profiled in DuckDB (every row)"
    assert profiled(validate_raw(con, gate, stricter, everything=True)) == "2 of 2 rows profiled in DuckDB (every row)"


def test_raw_uniqueness_counts_a_null_key_as_a_value_as_the_loader_does(con):
    con.execute("create schema if not exists raw")
    con.execute("create table raw.keyed (k VARCHAR)")
    rule = unique(("k",), "keyed")

    def statistics() -> tuple:
        return con.execute(f"select {rule.aggregate}, {rule.exact} from raw.keyed").fetchone()

    con.execute("insert into raw.keyed values ('a'), (null)")
    assert statistics() == (0, 0)
    con.execute("insert into raw.keyed values (null)")
    assert statistics() == (1, 1)


def test_thresholds_can_be_overridden_per_home(tmp_path):
    (tmp_path / "gates.yml").write_text("row_count: {max_ratio: 10}\n")
    assert load_thresholds(tmp_path).max_row_ratio == 10 and load_thresholds(tmp_path).min_row_ratio == 0.9
    (tmp_path / "gates.yml").write_text("row_count: {max_rows: 10}\n")
    with pytest.raises(ValueError, match="unknown setting 'row_count'.*row_count.max_ratio"):
        load_thresholds(tmp_path)


def test_distribution_compares_only_what_the_published_snapshot_has(con, gate, tmp_path):
    with duckdb.connect(str(tmp_path / "serving.duckdb")) as published:
        published.execute("create schema marts")
        published.execute("create table marts.ics_rates as select 'QH8' as icb_code, date '2025-01-01' as period_month, "
                          "'as_at' as boundary_basis, 4.0 as sickness_rate")  # before n_orgs was added
    con.execute(f"attach '{tmp_path / 'serving.duckdb'}' as {PREVIOUS} (read_only)")
    rates(con, [("QH8", "2025-01-01", "as_at", 3, 4.0), ("QH8", "2025-02-01", "as_at", 300, 4.2)])
    verdict = validate_distribution(con, gate, ICS_MONTHLY, RULES, load_thresholds(tmp_path), True)
    assert verdict.success and verdict.evaluated == 5  # row count, period profile (2), watched rate (2)
    regrained = MartContract("ics_rates", ICS_MONTHLY.columns, ("icb_code", "n_orgs"), ICS_MONTHLY.meta)
    assert "grain changed" in validate_distribution(con, gate, regrained, RULES, load_thresholds(tmp_path), True).notes[0]


def test_organisation_tables_reference_dim_organisation(con, gate):
    con.execute(DIM_ICS)
    con.execute("create table marts.dim_organisation as select * from (values ('RAL', date '2020-01-01'), "
                "('0DE', date '2020-01-01')) t(org_code, valid_from)")
    con.execute("""create table marts.org_rates as select * from (values
        ('RAL', 'QH8', date '2025-01-01', 4.0), ('0DE', 'QZZ', date '2025-01-01', 3.0), ('RXX', 'QH8', date '2025-01-01', 5.0)
        ) t(org_code, icb_code, period_month, sickness_rate)""")
    org_monthly = MartContract(
        "org_rates", {"org_code": "varchar", "icb_code": "varchar", "period_month": "date", "sickness_rate": "double"},
        ("org_code", "period_month"), {"sickness_rate": {"scale": "percent"}})
    [orphan] = validate_contract(con, gate, org_monthly, RULES).failures  # QZZ is fine outside ICS tables
    assert orphan.column == "org_code" and orphan.examples == ("org_code=RXX, period_month=2025-01-01",)
