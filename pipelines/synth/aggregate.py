"""Organisation figures of one unit, computed from its record-level frames: the published files are these."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .calendar import Calendar
from .population import UnitPopulation

TURNOVER_TYPES = ("Denominator at end of period", "Denominator at start of period", "Joiners", "Leavers")
ALL_GROUPS = -1  # group index standing for "All staff groups"


@dataclass
class UnitAggregates:
    sickness: pl.DataFrame  # org_code, month, group, lost_e5, avail_e5
    reasons: pl.DataFrame  # org_code, month, reason, lost_e5
    turnover: pl.DataFrame  # org_code, month, type, group, hc, fte_e5


def _org_codes(frame: pl.DataFrame, orgs: tuple[str, ...], column: str = "org") -> pl.DataFrame:
    return frame.with_columns(pl.col(column).replace_strict(dict(enumerate(orgs)), return_dtype=pl.String)
                              .alias("org_code")).drop(column)


def days_lost_by_month(absence: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    """FTE days lost per episode-row and month: calendar days of the episode in the month x FTE.

    An open episode (end after the extract date) counts up to the extract date, the last day of the window.
    """
    start = np.maximum(absence["start_day"].to_numpy(), cal.first_day)
    end = np.minimum(absence["end_day"].to_numpy(), cal.last_day)
    m0, m1 = cal.month_of(start), cal.month_of(end)
    count = m1 - m0 + 1
    row = np.repeat(np.arange(len(start)), count)
    month = m0[row] + np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    days = np.minimum(end[row], cal.ends[month]) - np.maximum(start[row], cal.starts[month]) + 1
    return pl.DataFrame({
        "org": absence["org"].to_numpy()[row],
        "month": month.astype(np.int16),
        "group": absence["group"].to_numpy()[row],
        "reason": absence["reason"].to_numpy()[row],
        "lost_e5": days * absence["fte_e5"].to_numpy()[row],
    })


def _headcount(frame: pl.DataFrame, org: str, kind: int) -> pl.DataFrame:
    """HC (distinct people) and FTE per organisation and staff group, and for all staff groups together."""
    by_group = frame.group_by(org, "month", "group").agg(
        hc=pl.col("employee_id").n_unique(), fte_e5=pl.col("fte_e5").sum())
    total = frame.group_by(org, "month").agg(
        hc=pl.col("employee_id").n_unique(), fte_e5=pl.col("fte_e5").sum()
    ).with_columns(group=pl.lit(ALL_GROUPS, pl.Int16))
    return pl.concat([by_group, total.select(by_group.columns)]).rename({org: "org"}).with_columns(
        type=pl.lit(kind, pl.Int8))


def unit_aggregates(pop: UnitPopulation, cal: Calendar) -> UnitAggregates:
    orgs = pop.unit.orgs
    sip = pop.sip
    available = sip.group_by("org", "month", "group").agg(
        avail_e5=(pl.col("fte_e5") * pl.col("month").replace_strict(
            dict(enumerate(cal.days_in_month.tolist())), return_dtype=pl.Int64)).sum())
    lost = days_lost_by_month(pop.absence, cal)
    lost_group = lost.group_by("org", "month", "group").agg(lost_e5=pl.col("lost_e5").sum())
    sickness = available.join(lost_group, on=["org", "month", "group"], how="full", coalesce=True).with_columns(
        pl.col("lost_e5", "avail_e5").fill_null(0))
    reasons = lost.group_by("org", "month", "reason").agg(lost_e5=pl.col("lost_e5").sum())

    # Turnover for the period (m-1 -> m). Start-of-period staff are counted where they are at the end of the
    # period (org_next), so staff transferred by a merger are neither leavers nor joiners.
    before = sip.filter(pl.col("month") < cal.n - 1).with_columns(pl.col("month") + 1)
    after = sip.filter(pl.col("month") > 0)
    turnover = pl.concat([
        _headcount(after, "org", 0),
        _headcount(before, "org_next", 1),
        _headcount(after.filter(pl.col("joined")), "org", 2),
        _headcount(before.filter(pl.col("leaves_next")), "org_next", 3),
    ])
    return UnitAggregates(_org_codes(sickness, orgs), _org_codes(reasons, orgs), _org_codes(turnover, orgs))
