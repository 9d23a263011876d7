"""The whole pipeline, for real (Dagster in-process, dbt build, GX, publish), on the tiny extracts."""
from __future__ import annotations

import duckdb
import polars as pl

from pipelines.runs import run_pipeline

from ..conftest import copy_home


def test_publishes_every_ics_with_rates_recomputed_from_the_files(published_tiny, tiny_extracts):
    files = pl.concat([pl.read_csv(f, infer_schema_length=0) for f in sorted(tiny_extracts.glob("sickness_org_*.csv"))])
    expected = (files.filter(pl.col("ICS_CODE") != "QZZ")
                .with_columns(pl.col("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE").cast(pl.Float64),
                              pl.col("DATE").str.to_date("%d/%m/%Y").dt.truncate("1mo").alias("period_month"))
                .group_by("ICS_CODE", "period_month")
                .agg((pl.col("FTE_DAYS_LOST").sum() / pl.col("FTE_DAYS_AVAILABLE").sum() * 100).alias("expected")))
    with duckdb.connect(str(published_tiny.serving_db), read_only=True) as con:
        mart = con.sql("select icb_code, period_month, sickness_rate from marts.ics_sickness_monthly "
                       "where boundary_basis = 'as_at'").pl()
    joined = expected.join(mart, left_on=["ICS_CODE", "period_month"], right_on=["icb_code", "period_month"], how="full")
    assert joined.height == expected.height == mart.height
    assert (joined["expected"] - joined["sickness_rate"]).abs().max() < 1e-9
    assert set(mart["icb_code"]) == set(expected["ICS_CODE"])


def test_rerun_without_new_files_loads_nothing_and_publishes_the_same_tables(published_tiny, tmp_path, monkeypatch):
    published_home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    with duckdb.connect(str(published_home.serving_db), read_only=True) as con:
        first = con.sql("select * from marts.ics_sickness_monthly order by all").pl()
    summary = run_pipeline(published_home)
    assert summary.success and summary.files == []
    with duckdb.connect(str(published_home.serving_db), read_only=True) as con:
        second = con.sql("select * from marts.ics_sickness_monthly order by all").pl()
        publishes = con.execute("select count(*) from meta.publish_log").fetchone()[0]
    assert first.equals(second)
    assert publishes == 2
