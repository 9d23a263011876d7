"""The ICS marts on the real published NHS files, run through the whole pipeline (Dagster, dbt, gates, publish):
every ICS rate equals an independent polars computation from the files themselves."""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from ..conftest import REAL_SURVEY, REAL_TURNOVER, real_sickness_months

pytestmark = pytest.mark.realdata

OUTSIDE_ICS = "QZZ"
ALL_STAFF = "All staff groups"


@pytest.fixture(scope="module")
def published(published_real, realdata):
    """The session's real run (tests/conftest.py), with the files it loaded."""
    sickness_files = real_sickness_months(realdata)
    turnover_files = sorted((realdata / REAL_TURNOVER).glob("*.csv"))
    assert len(sickness_files) == 6 and len(turnover_files) == 1
    return published_real, sickness_files, turnover_files[0]


def _mart(home, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        return con.sql(sql).pl()


def test_ics_sickness_rates_are_sums_of_days_over_each_ics(published):
    home, sickness_files, _ = published
    files = pl.concat([pl.read_csv(f, infer_schema_length=0) for f in sickness_files])
    expected = (files.filter(pl.col("ICS_CODE") != OUTSIDE_ICS)
                .with_columns(pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE").cast(pl.Float64),
                              pl.col("DATE").str.to_date("%d/%m/%Y").dt.truncate("1mo").alias("period_month"))
                .group_by("ICS_CODE", "period_month")
                .agg(expected=pl.col("FTE_DAYS_LOST").sum() / pl.col("FTE_DAYS_AVAILABLE").sum() * 100,
                     n_orgs=pl.len()))
    mart = _mart(home, "select icb_code, period_month, sickness_rate, n_orgs as mart_orgs, sickness_rate_12m, "
                       "spc_signal, spc_reason from marts.ics_sickness_monthly where boundary_basis = 'as_at'")

    joined = expected.join(mart, left_on=["ICS_CODE", "period_month"], right_on=["icb_code", "period_month"],
                           how="full")
    assert joined.height == expected.height == mart.height == 42 * 6
    assert (joined["expected"] - joined["sickness_rate"]).abs().max() < 1e-9
    assert (joined["n_orgs"] == joined["mart_orgs"]).all()
    # six months of data: no complete 12-month window and too few points for SPC limits
    assert mart["sickness_rate_12m"].is_null().all()
    assert mart["spc_signal"].is_null().all() and mart["spc_reason"].str.starts_with("only 6 points").all()


def test_organisation_rates_equal_the_published_rates_to_2dp(published):
    home, sickness_files, _ = published
    files = (pl.concat([pl.read_csv(f, infer_schema_length=0) for f in sickness_files])
             .with_columns(pl.col("FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT").cast(pl.Float64),
                           pl.col("DATE").str.to_date("%d/%m/%Y").dt.truncate("1mo").alias("period_month")))
    mart = _mart(home, "select org_code, period_month, sickness_rate, suppressed from marts.org_sickness_monthly "
                       f"where staff_group = '{ALL_STAFF}'")
    joined = files.join(mart, left_on=["ORG_CODE", "period_month"], right_on=["org_code", "period_month"], how="left")
    assert joined.height == files.height == mart.height
    # every real organisation-month has more than 330 FTE days available: nothing to withhold
    assert files["FTE_DAYS_AVAILABLE"].min() > 330 and not joined["suppressed"].any()
    assert (joined["sickness_rate"].round(2) - joined["SICKNESS_ABSENCE_RATE_PERCENT"]).abs().max() < 1e-9


def test_ics_leaver_rates_divide_leavers_by_mean_staff_in_post_of_all_staff_groups(published):
    home, _, turnover_file = published
    rows = (pl.read_csv(turnover_file, infer_schema_length=0)
            .filter((pl.col("STAFF_GROUP_1_NAME") == ALL_STAFF) & (pl.col("ICS_CODE") != OUTSIDE_ICS))
            .with_columns(pl.col("HC").cast(pl.Int64)))
    by_type = lambda kind: pl.col("HC").filter(pl.col("TYPE") == kind).sum()  # noqa: E731
    expected = rows.group_by("ICS_CODE").agg(
        leavers=by_type("Leavers"), joiners=by_type("Joiners"),
        start=by_type("Denominator at start of period"), end=by_type("Denominator at end of period"),
    ).with_columns(
        expected_leaver_rate=pl.col("leavers") / ((pl.col("start") + pl.col("end")) / 2) * 100,
        expected_joiner_rate=pl.col("joiners") / ((pl.col("start") + pl.col("end")) / 2) * 100,
    )
    mart = _mart(home, "select icb_code, period_month, leavers_hc, sip_start_hc, sip_end_hc, leaver_rate, joiner_rate, "
                       "leaver_rate_12m from marts.ics_turnover_monthly where boundary_basis = 'as_at'")

    joined = expected.join(mart, left_on="ICS_CODE", right_on="icb_code", how="full")
    assert joined.height == expected.height == mart.height == 42
    assert mart["period_month"].unique().to_list() == [dt.date(2025, 10, 1)]  # PERIOD "202509 to 202510"
    assert (joined["leavers"] == joined["leavers_hc"]).all()
    assert (joined["start"] == joined["sip_start_hc"]).all() and (joined["end"] == joined["sip_end_hc"]).all()
    assert (joined["expected_leaver_rate"] - joined["leaver_rate"]).abs().max() < 1e-9
    assert (joined["expected_joiner_rate"] - joined["joiner_rate"]).abs().max() < 1e-9
    assert mart["leaver_rate_12m"].is_null().all()  # one month of data


def test_published_marts_hold_no_load_provenance_and_both_boundary_bases(published):
    home, _, _ = published
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        columns = con.sql("select table_name, column_name from information_schema.columns "
                          "where table_schema = 'marts'").pl()
        bases = con.sql("select distinct boundary_basis from marts.ics_sickness_monthly order by 1").pl()
    provenance = columns.filter(pl.col("column_name").str.contains(r"^_|_pid$|run_id|load_id|loaded_at"))
    assert provenance.is_empty(), provenance
    assert bases["boundary_basis"].to_list() == ["as_at", "current"]


def test_every_real_survey_organisation_year_is_published_and_every_ics_has_each_year(published, realdata):
    home, _, _ = published
    wide = pl.read_csv(next((realdata / REAL_SURVEY).glob("*.csv")), infer_schema_length=0)
    org_years = _mart(home, "select distinct org_code, survey_year from marts.org_burnout_survey")
    assert org_years.height == wide.select("ODS code", "Year").unique().height == 1075
    icss = _mart(home, """select survey_year, count(distinct icb_code) as n from marts.ics_burnout_survey
                          where boundary_basis = 'as_at' group by survey_year order by survey_year""")
    assert icss["survey_year"].to_list() == [2021, 2022, 2023, 2024]
    assert set(icss["n"]) == {42}
