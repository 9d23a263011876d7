"""The tiny synthetic extracts load in full, and the record-level extracts agree with the published ones once
both are through dbt staging: organisation-month sickness days and leaver counts, recomputed here in polars
from the record-level staging tables, equal the published figures."""
from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from pipelines.settings import Home
from tests.fixtures.samples import SAMPLES, write_sample
from tests.fixtures.warehouse import STAGING, dbt_build, load_files

KEY = b"synthetic-test-key"
UNKNOWN_ORG = "ZZ901"
# generator file name -> the format the loader must recognise from its header
FILE_FORMATS = {
    r"sickness_org_\d{4}-\d{2}\.csv": "sickness_org",
    r"sickness_staff_group_\d{4}-\d{2}\.csv": "sickness_staff_group",
    r"sickness_reason_\d{4}-\d{2}\.csv": "sickness_reason",
    r"turnover_\d{4}-\d{2}\.csv": "turnover_benchmarking",
    r"staff_survey_orgs_\d{4}\.csv": "survey_org_results",
    r"social_care_la_\d{4}\.csv": "social_care_la",
    r"ods_etr_\d{8}\.csv": "ods_organisations",
    r"esr_staff_in_post_\w+\.csv": "staff_in_post",
    r"esr_absence_\w+\.csv": "absence_episodes",
    r"esr_leavers_\w+\.csv": "leavers",
    r"staff_survey_respondents_\w+_\d{4}\.csv": "survey_respondents",
    r"pulse_\w+\.csv": "pulse_responses",
}


@pytest.fixture(scope="module")
def built(tiny_extracts, tmp_path_factory) -> tuple[Home, list, str]:
    home = Home(tmp_path_factory.mktemp("synthetic") / "home")
    unknown = write_sample(tmp_path_factory.mktemp("extra"), "leavers",
                           SAMPLES["leavers"][1].replace("RJ1", UNKNOWN_ORG), f"esr_leavers_{UNKNOWN_ORG}.csv")
    results = load_files(home, [*sorted(tiny_extracts.iterdir()), unknown], KEY)
    return home, results, dbt_build(home, *STAGING)


def staging(home: Home, model: str) -> pl.DataFrame:
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        return con.sql(f"select * from staging.{model}").pl()


def test_every_generated_file_loads_as_the_format_its_name_promises(built, tiny_extracts):
    _, results, _ = built
    assert [r.message for r in results if r.outcome != "loaded"] == []
    for r in results:
        if r.file.startswith(f"esr_leavers_{UNKNOWN_ORG}"):
            continue
        expected = [fmt for pattern, fmt in FILE_FORMATS.items() if re.fullmatch(pattern, r.file)]
        assert [r.format] == expected, r.file
    assert len(results) == len(list(tiny_extracts.iterdir())) + 1


def test_a_well_formed_unknown_organisation_loads_and_is_flagged_by_a_staging_warning(built):
    home, _, output = built
    assert UNKNOWN_ORG in set(staging(home, "stg_turnover__leavers")["org_code"])
    warned = re.findall(r"Warning in test (\S+)", output)
    assert any(t.startswith("relationships_stg_turnover__leavers_org_code") for t in warned), warned


def month_days(episodes: pl.DataFrame, months: pl.Series) -> pl.DataFrame:
    """FTE days lost per organisation-month: calendar days of each episode in the month (open episodes run to the
    extract date) times the assignment FTE."""
    calendar = pl.DataFrame({"period_month": months.unique()}).with_columns(
        month_last=pl.col("period_month").dt.month_end())
    spans = episodes.with_columns(last_day=pl.coalesce("absence_end", "extract_date")).join(calendar, how="cross")
    overlap = (pl.min_horizontal("last_day", "month_last") - pl.max_horizontal("absence_start", "period_month")
               ).dt.total_days() + 1
    return (spans.with_columns(days=overlap).filter(pl.col("days") > 0)
            .group_by("org_code", "period_month").agg(lost=(pl.col("days") * pl.col("fte")).sum()))


def test_record_level_sickness_days_equal_the_published_days(built):
    home, _, _ = built
    published = staging(home, "stg_sickness__org_monthly")
    in_post = staging(home, "stg_workforce__staff_in_post")
    available = in_post.group_by("org_code", "period_month").agg(
        available=(pl.col("fte") * pl.col("month_end").dt.day()).sum())
    lost = month_days(staging(home, "stg_sickness__episodes"), published["period_month"])
    compared = (available.join(published, on=["org_code", "period_month"])
                .join(lost, on=["org_code", "period_month"], how="left").with_columns(pl.col("lost").fill_null(0)))
    assert compared["org_code"].n_unique() >= 10 and compared.height >= 200
    assert (compared["available"] - compared["fte_days_available"]).abs().max() < 1e-6
    assert (compared["lost"] - compared["fte_days_lost"]).abs().max() < 1e-6


def test_record_level_leavers_equal_the_published_leavers(built):
    home, _, _ = built
    leavers = staging(home, "stg_turnover__leavers").filter(pl.col("org_code") != UNKNOWN_ORG)
    published = staging(home, "stg_turnover__org_monthly").filter(
        (pl.col("staff_group") == "All staff groups") & pl.col("org_code").is_in(leavers["org_code"].unique()))
    counted = leavers.group_by("org_code", "period_month").agg(n=pl.len())
    compared = published.join(counted, on=["org_code", "period_month"], how="left").with_columns(
        pl.col("n").fill_null(0))
    # the publication has no flow for its first month, and no CSUs: compare the organisation-months it covers
    assert compared.filter(pl.col("n") != pl.col("leavers_hc")).height == 0
    assert compared["leavers_hc"].sum() > 50
