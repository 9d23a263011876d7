"""Every read the dashboard makes: short-lived read-only connections to serving.duckdb, nothing else.

A connection is opened per query and closed at once, so a publish (an atomic rename) is never blocked and
the next query sees the new snapshot.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl


def serving_path() -> Path:
    home = Path(os.environ.get("WELLBEING_HOME", ".wellbeing"))
    return Path(os.environ.get("WELLBEING_SERVING_DB", home / "warehouse" / "serving.duckdb"))


def _query(sql: str, params: list | None = None) -> pl.DataFrame:
    with duckdb.connect(str(serving_path()), read_only=True) as con:
        return con.sql(sql, params=params or None).pl()


def latest_publish() -> dict:
    return _query("select publish_id, published_at from meta.publish_log order by published_at desc limit 1").row(0, named=True)


def sickness_latest(basis: str) -> pl.DataFrame:
    """Each ICS's latest month, worst first."""
    return _query("""
        select icb_code, icb_name, region_code, period_month, sickness_rate, sickness_rate_12m, n_orgs
        from marts.ics_sickness_monthly
        where boundary_basis = ?
          and period_month = (select max(period_month) from marts.ics_sickness_monthly)
        order by sickness_rate desc""", [basis])


def sickness_trend(icb_code: str, basis: str) -> pl.DataFrame:
    return _query("""
        select period_month, sickness_rate, sickness_rate_12m
        from marts.ics_sickness_monthly
        where icb_code = ? and boundary_basis = ?
        order by period_month""", [icb_code, basis])


def national_sickness_trend(basis: str) -> pl.DataFrame:
    """England (all ICSs) as a ratio of sums, for comparison."""
    return _query("""
        select period_month, 100 * sum(fte_days_lost) / sum(fte_days_available) as sickness_rate
        from marts.ics_sickness_monthly
        where boundary_basis = ?
        group by period_month order by period_month""", [basis])
