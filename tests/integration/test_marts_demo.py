"""On the synthetic data every ICS mart is filled, and the built-in differences show in the figures."""
from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

ICS_MARTS = {  # table -> period column
    "ics_sickness_monthly": "period_month",
    "ics_turnover_monthly": "period_month",
    "ics_burnout_risk": "period_month",
    "ics_psychological_safety": "survey_year",
    "ics_burnout_survey": "survey_year",
    "ics_social_care": "year",
}


def _sql(home, query: str) -> pl.DataFrame:
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        return con.sql(query).pl()


def _icbs_on(scenario, basis: str, day: date) -> set[str]:
    """The ICBs the tiny world has on a day, from what the generator says it simulated."""
    merged = day >= date.fromisoformat(scenario.icb_merger_date) or basis == "current"
    olds = set(scenario.merging_icbs)
    everyone = {scenario.move_from, scenario.move_to, *olds}
    return (everyone - olds) | {scenario.new_icb} if merged else everyone


@pytest.mark.parametrize("table", ICS_MARTS)
def test_every_ics_has_every_period_its_sources_cover(published_tiny, tiny, table):
    period = ICS_MARTS[table]
    rows = _sql(published_tiny, f"select boundary_basis, {period} as period, icb_code from marts.{table}")
    assert rows.height > 0
    for (basis, when), group in rows.group_by("boundary_basis", "period"):
        day = when if isinstance(when, date) else date(int(when), 10, 1)  # surveys are fielded in autumn
        expected = _icbs_on(tiny.scenario, basis, day)
        if table == "ics_social_care":  # councils straddle ICBs outside the tiny world too
            assert expected <= set(group["icb_code"]), (table, basis, when)
        else:
            assert set(group["icb_code"]) == expected, (table, basis, when)


def test_the_icb_merger_restates_history_on_current_boundaries(published_tiny, tiny):
    s = tiny.scenario
    rates = _sql(published_tiny, f"""
        select boundary_basis, icb_code, period_month, fte_days_lost, fte_days_available
        from marts.ics_sickness_monthly where period_month < date '{s.icb_merger_date}'""")
    old = rates.filter((pl.col("boundary_basis") == "as_at") & pl.col("icb_code").is_in(list(s.merging_icbs)))
    new = rates.filter((pl.col("boundary_basis") == "current") & (pl.col("icb_code") == s.new_icb))
    summed = old.group_by("period_month").agg(pl.col("fte_days_lost", "fte_days_available").sum()).sort("period_month")
    assert new.height == summed.height > 0
    joined = new.sort("period_month").join(summed, on="period_month", suffix="_old")
    assert (joined["fte_days_available"] - joined["fte_days_available_old"]).abs().max() < 1e-6
    assert (joined["fte_days_lost"] - joined["fte_days_lost_old"]).abs().max() < 1e-6


def test_the_trust_that_moved_counts_where_it_belonged_at_the_time(published_tiny, tiny):
    s = tiny.scenario
    membership = _sql(published_tiny, f"""
        select icb_code, valid_from, valid_to from marts.dim_organisation
        where org_code = '{s.moving_trust}' order by valid_from""")
    assert membership["icb_code"].to_list()[:2] == [s.move_from, s.move_to]
    assert membership["valid_from"][1] == date.fromisoformat(s.move_date)


def test_the_deteriorating_ics_is_worst_on_burnout_risk_at_the_end(published_tiny, tiny):
    latest = _sql(published_tiny, """
        select icb_code, bri from marts.ics_burnout_risk
        where boundary_basis = 'current' and period_month = (select max(period_month) from marts.ics_burnout_risk)
        order by bri desc nulls last""")
    assert latest["bri"].null_count() == 0
    assert latest["icb_code"][0] == tiny.deteriorating_ics
