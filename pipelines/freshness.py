"""How old each source's newest data may be before it is stale, and how old it is.

Age is counted in whole months from the latest period held to the current month. The policy below is the
publication rhythm plus a margin: a monthly NHS series older than two months means a month was missed; the
Staff Survey and Skills for Care publish once a year. A stale source is a warning, not a gate: its
numbers are still right for the periods they cover. It shows as a failed (warning) `freshness_<table>`
check in the Dagster UI, in `meta.source_freshness.status` and in `wellbeing status`.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import NamedTuple

import duckdb

from .sources import FORMATS

MAX_AGE_MONTHS = {
    "sickness": 2,      # monthly
    "workforce": 2,     # monthly ESR extracts
    "turnover": 3,      # monthly, rolling twelve-month periods
    "pulse": 3,         # local pulse surveys run at least quarterly
    "reference": 6,     # ODS snapshots: organisations change every few months
    "survey": 18,       # annual: fieldwork in the autumn, published the next spring
    "social_care": 24,  # annual, for the previous financial year
}
_DATE = re.compile(r"^(\d{4})-(\d{2})")             # 2026-09-30, 2026-09-30 12:00:00
_RANGE = re.compile(r"^\d{6} to (\d{4})(\d{2})$")   # 202409 to 202509 (turnover's twelve-month periods)
_FINANCIAL = re.compile(r"^(\d{4})/(\d{2})$")       # 2024/25 ends in March 2025
_YEAR = re.compile(r"^(\d{4})$")                    # a survey or calendar year: its December


class SourceFreshness(NamedTuple):
    """One row of meta.source_freshness."""

    source_family: str
    format: str | None
    raw_table: str | None
    files_loaded: int
    files_rejected: int
    files_duplicate: int
    rows_in_raw: int
    latest_period: str | None
    last_loaded_at: datetime | None
    age_months: int | None
    max_age_months: int | None
    status: str


def period_month(period: str | None) -> tuple[int, int] | None:
    """(year, month) in which a period ends; None when there is no period or it is not one of these shapes."""
    text = (period or "").strip()
    if m := _DATE.match(text) or _RANGE.match(text):
        return int(m[1]), int(m[2])
    if m := _FINANCIAL.match(text):
        return int(m[1]) + 1, 3
    if m := _YEAR.match(text):
        return int(m[1]), 12
    return None


def freshness(family: str, latest_period: str | None, today: date) -> tuple[int | None, int | None, str]:
    """(age in months, the family's maximum, 'fresh' | 'stale' | 'no data' | 'no policy')."""
    limit = MAX_AGE_MONTHS.get(family)
    ends = period_month(latest_period)
    if ends is None:
        return None, limit, "no data"
    age = (today.year * 12 + today.month) - (ends[0] * 12 + ends[1])
    if limit is None:
        return age, None, "no policy"
    return age, limit, "stale" if age > limit else "fresh"


def source_freshness(con: duckdb.DuckDBPyConnection, today: date) -> list[SourceFreshness]:
    """Per extract format: files seen by outcome, rows held, the latest period held, when it last loaded, and
    its freshness (age in months, the policy's maximum, status).

    A duplicate is logged without a format (it is not read again): it counts for the format its twin loaded as.
    Files whose format was never recognised share one row.
    """
    by_format = {r[0]: r[1:] for r in con.execute("""
        with logged as (
            select l.outcome, l.logged_at, coalesce(l.format, (
                select any_value(k.format) from raw.load_log k where k.sha256 = l.sha256 and k.outcome = 'loaded'
            )) as format
            from raw.load_log l)
        select format, count(*) filter (where outcome = 'loaded'), count(*) filter (where outcome = 'rejected'),
               count(*) filter (where outcome = 'duplicate'), max(logged_at) filter (where outcome = 'loaded')
        from logged group by format""").fetchall()}
    rows = []
    for fmt in FORMATS:
        loaded, rejected, duplicate, last = by_format.pop(fmt.name, (0, 0, 0, None))
        held, latest = con.execute(
            f'select count(*), max("{fmt.period}")::varchar from raw.{fmt.table}' if fmt.period
            else f"select count(*), null from raw.{fmt.table}").fetchone()
        rows.append(SourceFreshness(fmt.family, fmt.name, f"raw.{fmt.table}", loaded, rejected, duplicate, held,
                                    latest, last, *freshness(fmt.family, latest, today)))
    if None in by_format:
        loaded, rejected, duplicate, last = by_format[None]
        rows.append(SourceFreshness("unrecognised", None, None, loaded, rejected, duplicate, 0, None, last,
                                    None, None, "no data"))
    return rows
