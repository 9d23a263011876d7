"""Organisations and ICS boundaries that change over time, through the real pipeline (Dagster, dbt, GX, publish).

Hand-built ODS snapshots and sickness files: two ICBs merge into a new 6-character code, a trust moves ICB, a
trust closes, an ICB re-coded by ONS keeps its ODS code, a snapshot has blank region and ICB fields. The ICS
sickness figures on both boundary bases are checked against groupings written out by hand.
"""
from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.runs import run_pipeline

from ..boundary_files import OdsRow, SicknessRow, write_ods, write_sickness
from ..conftest import land

NEW_ICB, NEW_ICB_NAME = "QNEW01", "Norfolk, Suffolk and Cambridgeshire"
NAMES = {"QUE": "Cambridgeshire and Peterborough", "QMM": "Norfolk and Waveney", "QJG": "Suffolk and North East Essex",
         "QH8": "Mid and South Essex", "QXU": "Surrey Heartlands", "QZZ": "Special Health Authorities",
         NEW_ICB: NEW_ICB_NAME}
REGION = {"QXU": "Y59", "QZZ": "QZZ"}  # the others are in the East of England (Y61)
# FTE days (lost, available) per organisation; lost grows by one day a month so months differ
DAYS = {"RA1": (10, 1000), "RA2": (20, 2000), "RB1": (30, 1500), "RB2": (5, 500), "RB3": (12, 800),
        "RC1": (40, 1600), "RD1": (7, 700), "RE1": (9, 900), "0AR": (3, 300)}
MONTHS = [date(2023, 3, 1), date(2023, 4, 1), date(2025, 3, 1), date(2025, 4, 1), date(2026, 3, 1), date(2026, 4, 1)]
MOVE, CLOSED_AFTER, MERGER = date(2025, 4, 1), date(2025, 3, 1), date(2026, 4, 1)


def icb_as_at(org: str, month: date) -> str:
    """The scenario, written out: which ICB the publisher (and ODS) puts each organisation in each month."""
    if org in ("RA1", "RA2") and month >= MERGER:
        return NEW_ICB
    if org == "RB1":
        return "QH8" if month >= MOVE else "QJG"
    return {"RA1": "QUE", "RA2": "QMM", "RB2": "QJG", "RB3": "QH8", "RC1": "QMM", "RD1": "QXU", "RE1": "QXU",
            "0AR": "QZZ"}[org]


def reports(org: str, month: date) -> bool:
    return not (org == "RC1" and month > CLOSED_AFTER)


def days(org: str, month: date) -> tuple[float, float]:
    lost, available = DAYS[org]
    return lost + MONTHS.index(month), available


def sickness_files(folder, months):
    return [write_sickness(folder, m, [
        SicknessRow(org, icb_as_at(org, m), NAMES[icb_as_at(org, m)], *days(org, m),
                    region=REGION.get(icb_as_at(org, m), "Y61"))
        for org in DAYS if reports(org, m)]) for m in months]


def snapshot_2023():
    return [OdsRow("RA1", "QUE"), OdsRow("RA2", "QMM"), OdsRow("RB1", "QJG"), OdsRow("RB2", "QJG"),
            OdsRow("RB3", "QH8"), OdsRow("RC1", "QMM"), OdsRow("RD1", "QXU", "Y59"), OdsRow("RE1", "QXU", "Y59")]


def snapshot_2025():
    rows = {r.code: r for r in snapshot_2023()}
    rows["RB1"] = OdsRow("RB1", "QH8")
    rows["RC1"] = OdsRow("RC1", "QMM", closed="20250331")
    return list(rows.values())


def snapshot_2026():
    rows = {r.code: r for r in snapshot_2025()}
    rows["RA1"], rows["RA2"] = OdsRow("RA1", NEW_ICB), OdsRow("RA2", NEW_ICB)
    rows["RE1"] = OdsRow("RE1", "", region="")  # blank geography: says nothing about RE1's ICB
    return list(rows.values())


def expected(groups: dict[str, list[str]], month: date) -> dict[str, tuple[int, float, float]]:
    """ICB -> (organisations, days lost, days available) for a month, from a hand-written grouping."""
    out = {}
    for icb, orgs in groups.items():
        present = [o for o in orgs if reports(o, month)]
        if present:
            out[icb] = (len(present), sum(days(o, month)[0] for o in present), sum(days(o, month)[1] for o in present))
    return out


def published(home, basis: str) -> dict[date, dict[str, tuple[int, float, float]]]:
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        rows = con.execute("""select period_month, icb_code, n_orgs, fte_days_lost, fte_days_available, sickness_rate
                              from marts.ics_sickness_monthly where boundary_basis = ?""", [basis]).fetchall()
    out: dict[date, dict] = {}
    for month, icb, n, lost, available, rate in rows:
        assert rate == pytest.approx(100 * lost / available)
        out.setdefault(month, {})[icb] = (n, lost, available)
    return out


def test_boundary_changes_on_both_bases(home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    land(home, write_ods(src, "ods_etr_20230301.csv", snapshot_2023()),
         write_ods(src, "ods_etr_20250401.csv", snapshot_2025()), *sickness_files(src, MONTHS[:4]))
    first = run_pipeline(home)
    assert first.success, first

    # the move is dated at the 2025-04-01 snapshot; the closed RC1 stays in QMM; QXU's ONS re-coding changes nothing
    before_move = {"QUE": ["RA1"], "QMM": ["RA2", "RC1"], "QJG": ["RB1", "RB2"], "QH8": ["RB3"], "QXU": ["RD1", "RE1"]}
    after_move = {"QUE": ["RA1"], "QMM": ["RA2", "RC1"], "QJG": ["RB2"], "QH8": ["RB1", "RB3"], "QXU": ["RD1", "RE1"]}
    as_at, current = published(home, "as_at"), published(home, "current")
    assert as_at == {m: expected(before_move if m < MOVE else after_move, m) for m in MONTHS[:4]}
    assert current == {m: expected(after_move, m) for m in MONTHS[:4]}
    assert as_at[date(2025, 3, 1)]["QJG"] == (2, 30 + 2 + 5 + 2, 2000)  # RB1 and RB2 in March 2025

    # a new snapshot with a new 6-character ICB code: no code or seed change, just the files
    land(home, write_ods(src, "etr_2026-04-01.csv", snapshot_2026()), *sickness_files(src, MONTHS[4:]))
    second = run_pipeline(home)
    assert second.success, second
    snapshot_load = next(f for f in second.files if f["file"] == "etr_2026-04-01.csv")
    assert snapshot_load["outcome"] == "loaded"
    assert "1 with a blank region and 1 with a blank ICB" in snapshot_load["message"]

    merged = {"QUE": ["RA1"], "QMM": ["RA2", "RC1"], "QJG": ["RB2"], "QH8": ["RB1", "RB3"], "QXU": ["RD1", "RE1"]}
    today = {NEW_ICB: ["RA1", "RA2", "RC1"], "QJG": ["RB2"], "QH8": ["RB1", "RB3"], "QXU": ["RD1", "RE1"]}
    as_at, current = published(home, "as_at"), published(home, "current")
    assert as_at == {m: expected(before_move if m < MOVE else (
        {NEW_ICB: ["RA1", "RA2"], **{k: v for k, v in merged.items() if k not in ("QUE", "QMM")}} if m >= MERGER
        else merged), m) for m in MONTHS}
    assert current == {m: expected(today, m) for m in MONTHS}
    # history restated on today's boundaries: March 2023 of the merged ICB holds RA1, RA2 and the closed RC1
    assert current[date(2023, 3, 1)][NEW_ICB] == (3, 10 + 20 + 40, 1000 + 2000 + 1600)

    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        # each row carries the reference snapshot that placed it: today's (newest) on current; on as_at the
        # newest on or before the month (the earliest for months before every snapshot)
        current_versions = con.execute("select distinct mapping_version from marts.ics_sickness_monthly "
                                       "where boundary_basis = 'current'").fetchall()
        misdated = con.execute("""
            select count(*) from marts.ics_sickness_monthly
            where boundary_basis = 'as_at' and mapping_version > period_month
                and mapping_version <> (select min(mapping_version) from marts.ics_sickness_monthly)""").fetchone()[0]
        as_at_versions = con.execute("select count(distinct mapping_version) from marts.ics_sickness_monthly "
                                     "where boundary_basis = 'as_at'").fetchone()[0]
        ics = {r[0]: r[1:] for r in con.execute("""
            select icb_code || '@' || valid_from, icb_name, region_code, valid_to, successor_icb_code, known_from
            from marts.dim_ics where icb_code in ('QUE', 'QMM', 'QJG', 'QXU', ?)""", [NEW_ICB]).fetchall()}
        orgs = {r[0]: r[1:] for r in con.execute("""
            select org_code || '@' || valid_from, icb_code, valid_to, close_date, current_icb_code, current_icb_basis
            from marts.dim_organisation where org_code in ('RB1', 'RC1', 'RE1', '0AR')""").fetchall()}
    assert current_versions == [(date(2026, 4, 1),)]
    assert misdated == 0 and as_at_versions > 1
    assert ics == {
        "QUE@2022-07-01": ("Cambridgeshire and Peterborough", "Y61", date(2026, 3, 31), NEW_ICB, "seed"),
        "QMM@2022-07-01": ("Norfolk and Waveney", "Y61", date(2026, 3, 31), NEW_ICB, "seed"),
        "QJG@2022-07-01": ("Suffolk and North East Essex", "Y61", None, None, "seed"),
        "QXU@2022-07-01": ("Surrey Heartlands", "Y59", date(2023, 3, 31), None, "seed"),
        "QXU@2023-04-01": ("Surrey Heartlands", "Y59", None, None, "seed"),
        f"{NEW_ICB}@2026-04-01": (NEW_ICB_NAME, "Y61", None, None, "ods_snapshot"),
    }
    assert orgs == {
        "RB1@2000-04-01": ("QJG", date(2025, 3, 31), None, "QH8", "latest_membership"),
        "RB1@2025-04-01": ("QH8", None, None, "QH8", "latest_membership"),
        "RC1@2000-04-01": ("QMM", date(2025, 3, 31), date(2025, 3, 31), NEW_ICB, "successor_icb"),
        "RE1@2000-04-01": ("QXU", None, None, "QXU", "latest_membership"),
        "0AR@2023-03-01": ("QZZ", None, None, "QZZ", "latest_membership"),
    }


def _dbt_build(home, *select: str) -> None:
    """A real dbt build of the selected models (and their tests) against the home's warehouse."""
    from tests.fixtures.warehouse import dbt

    done = dbt(home.build_db, "build", "--select", *select, "--exclude", "test_name:relationships")
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.realdata
def test_real_survey_organisations_all_resolve_or_say_why(home, realdata):
    from pipelines.landing import ensure_raw_tables, load_file

    files = [realdata / "ods_etr_2025" / "etr.csv",
             *sorted((realdata / "nhs_sickness_absence_org_monthly").glob("nhs_sickness_absence_*.csv")),
             realdata / "nhs_staff_survey_orgs_2021_2024" / "data_trusts_well-being - organisational results.csv"]
    with duckdb.connect(str(home.build_db)) as con:
        ensure_raw_tables(con)
        for path in land(home, *files):
            assert load_file(con, home, path).outcome == "loaded", path
    _dbt_build(home, "resource_type:seed", "+int_survey__org_icb", "+int_org_icb_membership")

    with duckdb.connect(str(home.build_db), read_only=True) as con:
        placed = con.execute("""
            select survey_year, org_code, boundary_basis, icb_code, resolved_via, outside_reason
            from intermediate.int_survey__org_icb""").fetchall()
        survey_orgs = con.execute("select count(distinct (survey_year, org_code)) from staging.stg_survey__org_results"
                                  ).fetchone()[0]
        # as at the month, the ODS-based membership agrees with the ICS code the publisher gave every trust
        disagreements = con.execute("""
            select count(*) from staging.stg_sickness__org_monthly s
            left join intermediate.int_org_icb_membership m on m.org_code = s.org_code
                and s.period_month >= m.valid_from and (m.valid_to is null or s.period_month < m.valid_to)
            where m.icb_code is distinct from s.published_icb_code""").fetchone()[0]
    assert disagreements == 0
    as_at = {(y, org): (icb, via, why) for y, org, basis, icb, via, why in placed if basis == "as_at"}
    assert len(as_at) == survey_orgs == 1075 and len(placed) == 2 * survey_orgs
    assert all((icb is None) != (why is None) for icb, _, why in as_at.values())
    merged_ccgs = {k: v for k, v in as_at.items() if "/" in k[1]}
    assert len(merged_ccgs) == 6 and {v[:2] for v in merged_ccgs.values()} == {
        ("QYG", "ccg21_lookup"), ("QK1", "ccg21_lookup"), ("QNC", "ccg21_lookup"), ("QJG", "ccg21_lookup"),
        ("QH8", "ccg21_lookup"), ("QNX", "ccg21_lookup")}
    assert as_at[(2021, "01T/01V")][:2] == ("QYG", "ccg21_lookup")
    outside = {org for (_, org), (icb, _, _) in as_at.items() if icb is None}
    assert outside == {"0AR", "0CX", "0DE", "0DF", "NXP"}  # the CSUs (QZZ) and an independent-sector provider
    assert {why for icb, _, why in as_at.values() if icb is None} == {
        "outside any ICS (QZZ): a CSU, special health authority, Welsh or other body",
        "not an ICB, not in the 2021 CCG lookup, in no ODS snapshot or publisher file, and no ICS name"}
