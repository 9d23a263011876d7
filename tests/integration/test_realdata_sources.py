"""The real published files load through the landing folder, and dbt staging keeps their facts: every
sickness rate reproduces from its days, turnover joiners and leavers survive the pivot (absent rows = 0),
survey geography is read by what each column means in each year."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.settings import Home
from pipelines.sources import RejectedFile, recognise
from pipelines.sources.registry import sniff_columns
from tests.fixtures.warehouse import STAGING, dbt_build, load_files

pytestmark = pytest.mark.realdata
KEY = b"realdata-test-key"

# Every folder of the real data, and the format its files load as (None: not an extract the pipeline loads).
FOLDERS: dict[str, str | None] = {
    "nhs_sickness_absence_org_monthly": "sickness_org",
    "nhs_workforce_turnover_benchmarking": "turnover_benchmarking",
    "nhs_staff_survey_orgs_2021_2024": "nhs_staff_survey_orgs_wide",
    "skillsforcare_la_brc_derived": "social_care_la_derived",
    "ods_etr_2025": "ods_organisations",
    "nhs_staff_survey_trusts_2012_2019": None,  # pre-2020 key-finding scales, not comparable (PROVENANCE §2)
    "nhs_staff_survey_question_reference": None,  # question metadata, input to the crosswalk seed
    "ons_ccg21_stp21_lookup": None,  # input to the ref_ccg21_icb seed
    "ons_lsoa_icb_lad_lookups": None,  # input to the ref_la_icb_share seed
}
NOT_EXTRACTS = {"phase2_download_manifest.csv"}  # the sickness folder's download log
TURNOVER = "Turnover benchmarking 2. Staff group and organisation, monthly, Oct-25.csv"
SURVEY = "data_trusts_well-being - organisational results.csv"


def extracts(realdata: Path) -> dict[Path, str]:
    return {p: FOLDERS[p.parent.name] for p in sorted(realdata.rglob("*.csv"))
            if FOLDERS[p.parent.name] and p.name not in NOT_EXTRACTS}


@pytest.fixture(scope="module")
def warehouse(realdata, tmp_path_factory) -> Home:
    home = Home(tmp_path_factory.mktemp("realdata") / "home")
    results = load_files(home, list(extracts(realdata)), KEY)
    assert [r.outcome for r in results] == ["loaded"] * len(results), [r.message for r in results]
    dbt_build(home, *STAGING)
    return home


def query(home: Home, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        return con.sql(sql).pl()


def test_every_real_file_is_accounted_for(realdata):
    files = [p for p in realdata.rglob("*") if p.is_file() and p.name != "PROVENANCE.md"]
    assert {p.parent.name for p in files} <= set(FOLDERS)


def test_every_real_extract_loads_as_its_format_and_nothing_else_is_taken_for_one(realdata, warehouse):
    with duckdb.connect(str(warehouse.build_db), read_only=True) as con:
        logged = dict(con.execute("select file_name, format from raw.load_log where outcome = 'loaded'").fetchall())
    assert logged == {p.name: fmt for p, fmt in extracts(realdata).items()}
    for path in realdata.rglob("*.csv"):
        if path not in extracts(realdata):
            with pytest.raises(RejectedFile, match="header not recognised"):
                recognise(sniff_columns(path), path.name)


def test_every_published_sickness_rate_reproduces_from_its_days(realdata, warehouse):
    staged = query(warehouse, "select * from staging.stg_sickness__org_monthly")
    published_rows = sum(pl.read_csv(p, infer_schema=False).height
                         for p in realdata.glob("nhs_sickness_absence_org_monthly/nhs_sickness_absence_*.csv"))
    assert staged.height == published_rows == 1710
    recomputed = (staged["fte_days_lost"] / staged["fte_days_available"] * 100).round(2)
    assert (recomputed - staged["published_sickness_rate"]).abs().max() < 1e-9


def test_turnover_joiners_and_leavers_survive_the_pivot_with_absent_rows_as_zero(realdata, warehouse):
    published = pl.read_csv(realdata / "nhs_workforce_turnover_benchmarking" / TURNOVER,
                            schema_overrides={"HC": pl.Int64, "FTE": pl.Float64})
    cells = published.select("REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME").unique()
    flows = {t: published.filter(pl.col("TYPE") == t).select("REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME",
                                                               pl.col("HC").alias(t))
             for t in ("Joiners", "Leavers")}
    expected = (cells.join(flows["Joiners"], on=["REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME"], how="left")
                .join(flows["Leavers"], on=["REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME"], how="left")
                .select(org_code="REPORTING_ORG_CODE", staff_group="STAFF_GROUP_1_NAME",
                        joiners_hc=pl.col("Joiners").fill_null(0), leavers_hc=pl.col("Leavers").fill_null(0))
                .sort("org_code", "staff_group"))
    staged = query(warehouse, "select org_code, staff_group, joiners_hc, leavers_hc, period_month "
                              "from staging.stg_turnover__org_monthly order by org_code, staff_group")
    assert staged["period_month"].unique().to_list() == [dt.date(2025, 10, 1)]  # "202509 to 202510"
    assert staged.drop("period_month").equals(expected)
    assert (expected["leavers_hc"] == 0).sum() > 500 and (expected["joiners_hc"] == 0).sum() > 500  # absent rows
    per_org = staged.group_by("org_code").agg(pl.col("leavers_hc", "joiners_hc").sum()).sort("org_code")
    assert per_org.equals(expected.group_by("org_code").agg(pl.col("leavers_hc", "joiners_hc").sum()).sort("org_code"))


def test_survey_measures_and_geography_are_read_by_year(realdata, warehouse):
    export = pl.read_csv(realdata / "nhs_staff_survey_orgs_2021_2024" / SURVEY, infer_schema=False)
    staged = query(warehouse, "select * from staging.stg_survey__org_results")
    assert staged.height == export.height * 4
    burnt_out = staged.filter(pl.col("item_key") == "burnout_burnt_out").select(
        "org_code", pl.col("survey_year").cast(pl.String), "value", "base").sort("org_code", "survey_year")
    expected = export.select(org_code="ODS code", survey_year="Year", value=pl.col("Burned_out_rate").cast(pl.Float64),
                             base=pl.col("Burned_out_base").cast(pl.Int64)).sort("org_code", "survey_year")
    assert (burnt_out["value"] - expected["value"]).abs().max() < 1e-9
    assert burnt_out.drop("value").equals(expected.drop("value"))

    rj1 = dict(staged.filter(pl.col("org_code") == "RJ1").select("survey_year", "published_icb_name").unique().rows())
    assert rj1 == {2021: "Our Healthier South East London", 2022: "South East London", 2023: "South East London",
                   2024: "South East London"}
    icb_names = set(query(warehouse, "select icb_name from reference.ref_icb")["icb_name"])
    later = set(staged.filter(pl.col("survey_year") >= 2022)["published_icb_name"].drop_nulls())
    assert later <= icb_names and len(later) == 42  # 2022+ short ICS names match the ICB seed exactly
    assert "01T/01V" in set(staged.filter(pl.col("survey_year") == 2021)["org_code"])


def test_the_derived_social_care_file_keeps_its_fractions_and_its_unmatched_row(warehouse):
    raw = query(warehouse, "select * from raw.social_care_la_derived")
    assert raw.height == 316
    assert raw["turnover_rate"].max() <= 1
    assert raw.filter(pl.col("la_code").is_null()).height == 1
