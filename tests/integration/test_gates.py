"""The gates stop a bad run: each kind of defect fails `wellbeing run` with a message naming the check, the
table, the column and failing values, and the snapshot readers see stays byte for byte what it was.

One real pipeline run publishes six months of the real NHS sickness files; each test copies that home,
injects one defect and runs the real pipeline again (in-process, through the CLI). Raw defects are written
into the build database's raw table (as a reader bug would let them through); mart defects are written
into the built mart right after `dbt build` (as a model bug would produce them), so they reach the gates
whatever the models do.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from pipelines.cli import main
from pipelines.runs import prepare, run_pipeline
from pipelines.settings import Home

pytestmark = pytest.mark.realdata
SICKNESS = "nhs_sickness_absence_org_monthly"
MART = "marts.ics_sickness_monthly"


@pytest.fixture(scope="module")
def published(realdata, tmp_path_factory) -> Home:
    """A home that has published six months of real sickness data."""
    home = Home(tmp_path_factory.mktemp("published") / "home")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("WELLBEING_HOME", "WELLBEING_BUILD_DB", "DAGSTER_HOME"):
            mp.delenv(var, raising=False)
        prepare(home)
        for month in sorted((realdata / SICKNESS).glob("nhs_sickness_absence_*.csv")):
            shutil.copy2(month, home.landing)
        summary = run_pipeline(home)
    assert summary.success, summary.failed_checks or summary.failed_steps
    return home


@pytest.fixture
def copy(published, home) -> Home:
    """A copy of the published home, which the test may break."""
    shutil.copytree(published.root, home.root, dirs_exist_ok=True)
    return home


def fingerprint(home: Home) -> dict[str, str]:
    """Hashes of everything readers can see: the serving file, the kept snapshots, the exports."""
    files = [home.serving_db, *sorted(home.snapshots.iterdir()), *sorted(home.exports.iterdir())]
    return {str(f.relative_to(home.root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def sql(home: Home, statement: str) -> None:
    with duckdb.connect(str(home.build_db)) as con:
        con.execute(statement)


def one(home: Home, query: str):
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        return con.execute(query).fetchone()


def corrupt_marts_after_dbt(monkeypatch, home: Home, statement: str) -> None:
    """Run `statement` on the build database once `dbt build` has finished, before the gates run."""
    original = DbtCliInvocation.stream

    def stream_then_corrupt(self):
        yield from original(self)
        sql(home, statement)

    monkeypatch.setattr(DbtCliInvocation, "stream", stream_then_corrupt)


def failed_run(home: Home, capsys) -> str:
    """`wellbeing run` fails; nothing readers see changed; `wellbeing status` repeats the failures."""
    before = fingerprint(home)
    assert main(["--home", str(home.root), "run"]) == 1
    printed = capsys.readouterr().out
    assert "NOT published" in printed
    assert fingerprint(home) == before
    assert main(["--home", str(home.root), "status"]) == 0
    status = capsys.readouterr().out
    failures = [line for line in printed.splitlines() if line.strip().startswith("FAILED")]
    assert failures and all(line in status for line in failures)
    return printed


def assert_failure(printed: str, check: str, asset: str, *fragments: str) -> str:
    line = next((l for l in printed.splitlines() if l.strip().startswith(f"FAILED {check} on {asset}:")), None)
    assert line, f"no failure of {check} on {asset} in:\n{printed}"
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def test_rate_over_100_in_a_raw_table_stops_dbt(copy, capsys):
    org, file, row = one(copy, """select org_code, _source_file, _source_row from raw.sickness_org
                                  order by date desc, org_code limit 1""")
    sql(copy, f"update raw.sickness_org set sickness_absence_rate_percent = 150.5 where org_code = '{org}' "
              f"and date = (select max(date) from raw.sickness_org)")
    printed = failed_run(copy, capsys)
    assert_failure(printed, "gx_raw_sickness_org", "raw/sickness_org",
                   "sickness_absence_rate_percent", "at most 100", "150.5", f"{file} row {row}")
    assert "step failed: raw_gate" in printed
    docs = (copy.reports / "data_docs" / "raw").rglob("*.html")
    assert any("sickness_absence_rate_percent" in p.read_text() and "150.5" in p.read_text()
               for p in docs if "validations" in p.parts)


def test_duplicated_key_in_a_raw_table_stops_dbt(copy, capsys):
    org, date = one(copy, "select org_code, date from raw.sickness_org order by org_code, date limit 1")
    sql(copy, f"insert into raw.sickness_org select * from raw.sickness_org where org_code = '{org}' and date = '{date}'")
    printed = failed_run(copy, capsys)
    assert_failure(printed, "gx_raw_sickness_org", "raw/sickness_org", "date, org_code", "one row per date, org_code",
                   f"org_code={org}")


def test_missing_ics_stops_publication(copy, capsys, monkeypatch):
    icb, month = one(copy, f"select min(icb_code), max(period_month) from {MART}")
    corrupt_marts_after_dbt(monkeypatch, copy, f"delete from {MART} where icb_code = '{icb}' "
                                               f"and period_month = '{month}' and boundary_basis = 'as_at'")
    printed = failed_run(copy, capsys)
    assert_failure(printed, "gx_ics_sickness_monthly", "marts/ics_sickness_monthly", "icb_code",
                   "every ICS present", f"icb_code={icb}", f"period_month={month}", "boundary_basis=as_at")


def test_orphan_code_stops_publication(copy, capsys, monkeypatch):
    icb = one(copy, f"select max(icb_code) from {MART}")[0]
    corrupt_marts_after_dbt(monkeypatch, copy, f"update {MART} set icb_code = 'Q9X' where icb_code = '{icb}'")
    printed = failed_run(copy, capsys)
    assert_failure(printed, "gx_ics_sickness_monthly", "marts/ics_sickness_monthly", "icb_code",
                   "a code known to marts.dim_ics", "icb_code=Q9X")


def test_jump_in_volume_stops_publication(copy, capsys, monkeypatch):
    month = one(copy, f"select max(period_month) from {MART}")[0]
    corrupt_marts_after_dbt(monkeypatch, copy, f"update {MART} set fte_days_lost = fte_days_lost * 10, "
                                               f"fte_days_available = fte_days_available * 10 where period_month = '{month}'")
    printed = failed_run(copy, capsys)
    line = assert_failure(printed, "distribution_ics_sickness_monthly", "marts/ics_sickness_monthly",
                          "fte_days_available", "mean fte_days_available per period", f"period_month={month}")
    low, high = map(float, re.search(r"widened to ([\d.e+]+)-([\d.e+]+)", line).groups())
    mean = one(copy, f"select avg(fte_days_available) from {MART} where period_month = '{month}'")[0]
    assert mean > high > low


def test_small_cell_escaping_suppression_stops_publication(copy, capsys, monkeypatch):
    icb, month = one(copy, f"select min(icb_code), min(period_month) from {MART}")
    corrupt_marts_after_dbt(monkeypatch, copy, f"update {MART} set fte_days_available = 250, fte_days_lost = 12.5, "
                                               f"sickness_rate = 5 where icb_code = '{icb}' and period_month = '{month}'")
    printed = failed_run(copy, capsys)
    assert_failure(printed, "disclosure_ics_sickness_monthly", "marts/ics_sickness_monthly", "fte_days_available",
                   "withheld (null) when FTE days available <= 330", "fte_days_available=250", f"icb_code={icb}")


def test_checks_of_a_publication_are_recorded_with_it(published):
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        publish_id, tables = con.execute("select publish_id, tables from meta.publish_log").fetchone()
        checks = con.execute("select check_name, passed, detail from meta.check_results where publish_id = ?",
                             [publish_id]).fetchall()
    names = {name for name, _, _ in checks}
    assert {"gx_raw_sickness_org", "gx_ics_sickness_monthly", "distribution_ics_sickness_monthly",
            "disclosure_ics_sickness_monthly", "gx_dim_ics"} <= names
    assert all(passed for _, passed, _ in checks)
    assert all("data_docs" in detail for name, _, detail in checks if name.startswith(("gx_", "distribution_", "disclosure_")))
    assert Path(published.reports / "data_docs" / "marts" / "index.html").exists()
