"""The gates stop a bad run: each kind of defect fails `wellbeing run` with a message naming the check, the
table, the column and failing values, and the snapshot readers see stays byte for byte what it was.

Every test runs twice: on the session's published tiny synthetic home and on the session's home that published
real NHS files (tests/conftest.py). Each defect run copies that home, injects defects and runs the real
pipeline again, in-process through the CLI. Raw defects are written into the build database's raw table (as
a reader bug would let them through) and stop the run before dbt. Mart defects are written into the built
mart right after `dbt build` (as a model bug would produce them), so they reach the mart gates whatever the
models do; four of them go into one run, on different ICSs and months, to keep the suite short.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from pipelines.cli import main
from pipelines.settings import Home

from ..conftest import copy_home, point_environment_at

MART = "marts.ics_sickness_monthly"


@pytest.fixture(scope="module", params=["tiny", "real"])
def published(request) -> Home:
    """A home that has published (tiny synthetic or real files): copy it, never change it."""
    return request.getfixturevalue(f"published_{request.param}")


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


@dataclass(frozen=True)
class FailedRun:
    printed: str  # what `wellbeing run` printed
    status: str  # what `wellbeing status` printed afterwards
    home: Home

    def failure(self, check: str, asset: str, *fragments: str, example: dict | None = None) -> str:
        """The printed failure of `check`, which must hold every fragment and, if given, a failing row like `example`."""
        line = next((t for t in self.printed.splitlines() if t.strip().startswith(f"FAILED {check} on {asset}:")), None)
        assert line, f"no failure of {check} on {asset} in:\n{self.printed}"
        for fragment in fragments:
            assert fragment in line, f"{fragment!r} not in {line!r}"
        if example:
            assert any(example.items() <= row.items() for row in examples(line)), f"no row like {example} in {line!r}"
        return line


def examples(line: str) -> list[dict[str, str]]:
    """The failing rows a printed failure quotes ("e.g. a=1, b=2; a=3, b=4")."""
    line = line.split(" (data docs: ")[0]
    quoted = [part.split("e.g. ", 1)[1] for part in line.split(" | ") if "e.g. " in part]
    return [dict(pair.split("=", 1) for pair in row.split(", ")) for text in quoted for row in text.split("; ")]


def failed_run(home: Home) -> FailedRun:
    """`wellbeing run` fails; nothing readers see changed; `wellbeing status` repeats the failures."""
    before = fingerprint(home)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert main(["--home", str(home.root), "run"]) == 1
    assert "NOT published" in printed.getvalue()
    assert fingerprint(home) == before
    with contextlib.redirect_stdout(io.StringIO()) as status:
        assert main(["--home", str(home.root), "status"]) == 0
    failures = [line for line in printed.getvalue().splitlines() if line.strip().startswith("FAILED")]
    assert failures and all(line in status.getvalue() for line in failures)
    return FailedRun(printed.getvalue(), status.getvalue(), home)


@pytest.fixture
def copy(published, tmp_path, monkeypatch) -> Home:
    return copy_home(published, tmp_path / "copy", monkeypatch)


def test_rate_over_100_in_a_raw_table_stops_dbt(copy):
    org, file, row = one(copy, """select org_code, _source_file, _source_row from raw.sickness_org
                                  order by date desc, org_code limit 1""")
    sql(copy, f"update raw.sickness_org set sickness_absence_rate_percent = 150.5 where org_code = '{org}' "
              f"and date = (select max(date) from raw.sickness_org)")
    run = failed_run(copy)
    run.failure("gx_raw_sickness_org", "raw/sickness_org", "sickness_absence_rate_percent", "at most 100",
                f"{file} row {row}: sickness_absence_rate_percent=150.5")
    assert "step failed: raw_gate" in run.printed
    pages = [p.read_text() for p in (copy.reports / "data_docs" / "raw" / "validations").rglob("*.html")]
    assert any("sickness_absence_rate_percent" in page and "150.5" in page for page in pages)


def test_duplicated_key_in_a_raw_table_stops_dbt(copy):
    org, date = one(copy, "select org_code, date from raw.sickness_org order by org_code, date limit 1")
    sql(copy, f"insert into raw.sickness_org select * from raw.sickness_org where org_code = '{org}' and date = '{date}'")
    failed_run(copy).failure("gx_raw_sickness_org", "raw/sickness_org", "date, org_code", "one row per date, org_code",
                             f"org_code={org}")


@pytest.fixture(scope="module")
def mart_defects(published, tmp_path_factory) -> tuple[FailedRun, dict]:
    """One run whose marts come out of dbt with four defects, each on its own ICS or month."""
    with pytest.MonkeyPatch.context() as mp:
        home = copy_home(published, tmp_path_factory.mktemp("defects") / "home", mp)
    first, last = one(home, f"select min(period_month), max(period_month) from {MART}")
    # ICSs published in the last month on both bases (not one a merger abolished)
    icss = one(home, f"""select list(icb_code order by icb_code)[1:3] from (select icb_code from {MART}
                         where period_month = '{last}' group by icb_code having count(*) = 2)""")[0]
    defects = {"missing": icss[0], "orphaned": icss[1], "small": icss[2], "first": first, "last": last}
    statements = [
        f"delete from {MART} where icb_code = '{icss[0]}' and period_month = '{last}' and boundary_basis = 'as_at'",
        f"update {MART} set icb_code = 'Q9X' where icb_code = '{icss[1]}'",
        f"update {MART} set fte_days_lost = fte_days_lost * 10, fte_days_available = fte_days_available * 10 "
        f"where period_month = '{last}'",
        f"update {MART} set fte_days_available = 250, fte_days_lost = 12.5, sickness_rate = 5 "
        f"where icb_code = '{icss[2]}' and period_month = '{first}'",
    ]
    original = DbtCliInvocation.stream

    def stream_then_corrupt(self):
        yield from original(self)
        for statement in statements:
            sql(home, statement)

    with pytest.MonkeyPatch.context() as mp:
        point_environment_at(mp, home)
        mp.setattr(DbtCliInvocation, "stream", stream_then_corrupt)
        run = failed_run(home)
    return run, defects


def test_missing_ics_stops_publication(mart_defects):
    run, d = mart_defects
    run.failure("gx_ics_sickness_monthly", "marts/ics_sickness_monthly", "icb_code", "every ICS present",
                example={"icb_code": d["missing"], "period_month": str(d["last"]), "boundary_basis": "as_at"})


def test_orphan_code_stops_publication(mart_defects):
    run, _ = mart_defects
    run.failure("gx_ics_sickness_monthly", "marts/ics_sickness_monthly", "icb_code", "a code known to marts.dim_ics",
                example={"icb_code": "Q9X"})


def test_jump_in_volume_stops_publication(mart_defects):
    run, d = mart_defects
    line = run.failure("distribution_ics_sickness_monthly", "marts/ics_sickness_monthly",
                       "measure means within the published periods' range",
                       example={"statistic": "mean fte_days_available", "period_month": str(d["last"])})
    row = next(r for r in examples(line) if r["statistic"] == "mean fte_days_available")
    shown, highest = float(row["value"]), float(row["highest_expected"])
    with duckdb.connect(str(run.home.serving_db), read_only=True) as con:  # what is published now
        published = con.execute(f"select avg(fte_days_available) from {MART} where period_month = ?",
                                [d["last"]]).fetchone()[0]
    assert shown > highest > published


def test_small_cell_escaping_suppression_stops_publication(mart_defects):
    run, d = mart_defects
    run.failure("disclosure_ics_sickness_monthly", "marts/ics_sickness_monthly", "fte_days_available",
                "withheld (null) when FTE days available <= 330",
                example={"fte_days_available": "250", "icb_code": d["small"], "period_month": str(d["first"])})


def test_checks_of_a_publication_are_recorded_with_it(published):
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        publish_id = con.execute("select max(publish_id) from meta.publish_log").fetchone()[0]
        checks = con.execute("select check_name, passed, detail from meta.check_results where publish_id = ?",
                             [publish_id]).fetchall()
    names = {name for name, _, _ in checks}
    assert {"gx_raw_sickness_org", "gx_ics_sickness_monthly", "distribution_ics_sickness_monthly",
            "disclosure_ics_sickness_monthly", "gx_dim_ics"} <= names
    ours = [(passed, detail) for name, passed, detail in checks if name.startswith(("gx_", "distribution_", "disclosure_"))]
    assert ours and all(passed and "data_docs" in detail for passed, detail in ours)  # the gates (freshness only warns)
    assert (published.reports / "data_docs" / "marts" / "index.html").exists()


def test_a_failure_points_at_the_data_docs(mart_defects):
    run, _ = mart_defects
    line = run.failure("disclosure_ics_sickness_monthly", "marts/ics_sickness_monthly")
    docs = Path(line.split(" (data docs: ")[1].rstrip(")"))
    assert docs == run.home.reports / "data_docs" / "marts" / "index.html" and docs.exists()
    pages = [p.read_text() for p in docs.parent.joinpath("validations").rglob("*.html")]
    assert any("fte_days_available" in page and "250" in page for page in pages)
