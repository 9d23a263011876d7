"""Workforce: staff in post from ESR (record level; identifiers pseudonymised, date of birth -> age band)."""
from __future__ import annotations

import polars as pl

from .base import ODS_CODE, Column, Format

ISO_DATE = "%Y-%m-%d"

STAFF_IN_POST = Format(
    name="staff_in_post",
    family="workforce",
    table="staff_in_post",
    description="ESR staff in post (one row per employee x assignment x month end; record level)",
    record_level=True,
    columns=(
        Column("employee_id", pl.String, privacy="pseudonymise"),
        Column("assignment_id", pl.String, privacy="pseudonymise"),
        Column("org_code", pl.String, pattern=ODS_CODE),
        Column("staff_group", pl.String),
        Column("occupation_code", pl.String),
        # one assignment's contracted hours over the standard week: above 1.5 is not a real contract
        Column("fte", pl.Float64, min=0, max=1.5),
        Column("month_end", pl.Date, date_format=ISO_DATE),
        Column("start_date", pl.Date, date_format=ISO_DATE),
        # optional: without it the age band is null
        Column("date_of_birth", pl.Date, required=False, nullable=True, date_format=ISO_DATE, privacy="age_band"),
    ),
    key=("employee_id", "assignment_id", "month_end"),
    period="month_end",
    org="org_code",
    rules=(
        ("month_end is not the last day of a month", "month_end",
         "extract(day from month_end + interval '1 day') <> 1"),
        ("the assignment starts after the month end it is reported in", "start_date", "start_date > month_end"),
        # the date of birth is not stored (an age band is): checked by the reader only
        ("the date of birth makes the person younger than 14 at the start of the assignment", "date_of_birth",
         "date_of_birth + interval '14 years' > start_date"),
    ),
)

FORMATS = (STAFF_IN_POST,)
