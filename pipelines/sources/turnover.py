"""Turnover: NHS Workforce Statistics turnover benchmarking table 2 (published) and ESR leavers (record level)."""
from __future__ import annotations

import polars as pl

from .base import ODS_CODE, Column, Format

ISO_DATE = "%Y-%m-%d"
TURNOVER_TYPES = ("Denominator at start of period", "Denominator at end of period", "Joiners", "Leavers")
# "202509 to 202510": one month of flow, from the first month's end to the second's
PERIOD = r"^\d{4}(0[1-9]|1[0-2]) to \d{4}(0[1-9]|1[0-2])$"

TURNOVER_BENCHMARKING = Format(
    name="turnover_benchmarking",
    family="turnover",
    table="turnover_benchmarking",
    description="NHS Workforce Statistics turnover benchmarking table 2, long form (period x TYPE x org x staff "
                "group); an absent Joiners/Leavers row means zero (pivoted in dbt staging)",
    columns=(
        Column("period", pl.String, pattern=PERIOD),
        Column("type", pl.String, values=TURNOVER_TYPES),
        Column("nhse_region_code", pl.String, required=False, nullable=True),
        Column("nhse_region_name", pl.String, required=False, nullable=True),
        Column("ics_code", pl.String),
        Column("ics_name", pl.String, required=False, nullable=True),
        Column("reporting_org_name", pl.String, required=False, nullable=True),
        Column("reporting_org_code", pl.String, pattern=ODS_CODE),
        Column("cluster_group", pl.String),
        Column("benchmark_group", pl.String, required=False, nullable=True),
        Column("staff_group_1_name", pl.String),
        Column("hc", pl.Int64, min=0, thousands=True),
        Column("fte", pl.Float64, min=0),
    ),
    key=("period", "type", "reporting_org_code", "staff_group_1_name"),
    period="period",
    org="reporting_org_code",
    rules=(
        ("the period's second month is not the month after its first", "period",
         "strptime(left(period, 6) || '01', '%Y%m%d') + interval '1 month' "
         "<> strptime(right(period, 6) || '01', '%Y%m%d')"),
    ),
)

LEAVERS = Format(
    name="leavers",
    family="turnover",
    table="leavers",
    description="ESR leavers (one row per leaver; record level, identifiers pseudonymised)",
    record_level=True,
    columns=(
        Column("employee_id", pl.String, privacy="pseudonymise"),
        Column("org_code", pl.String, pattern=ODS_CODE),
        Column("staff_group", pl.String),
        Column("leave_date", pl.Date, date_format=ISO_DATE),
        Column("leaving_reason", pl.String),
        Column("destination", pl.String, required=False, nullable=True),
    ),
    key=("employee_id", "org_code", "leave_date"),
    period="leave_date",
    org="org_code",
)

FORMATS = (TURNOVER_BENCHMARKING, LEAVERS)
