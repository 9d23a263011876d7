"""Sickness absence: NHS Sickness Absence Rates (published) and local absence episodes."""
from __future__ import annotations

import polars as pl

from .base import Column, Format

UK_DATE = "%d/%m/%Y"

# Columns the publication shares across its organisation, staff-group and reason CSVs.
_ORG = (
    Column("date", pl.Date, date_format=UK_DATE),
    Column("nhse_region_code", pl.String),
    Column("nhse_region_name", pl.String, required=False, nullable=True),
    Column("ics_code", pl.String),
    Column("ics_name", pl.String),
    Column("org_code", pl.String),
    Column("org_name", pl.String),
    Column("org_type", pl.String),
)
_DAYS = (
    Column("fte_days_lost", pl.Float64, min=0),
    Column("fte_days_available", pl.Float64, min=0),
    Column("sickness_absence_rate_percent", pl.Float64, min=0, max=100),
)
_LOST_LE_AVAILABLE = ("FTE days lost exceed FTE days available", "fte_days_lost",
                      pl.col("fte_days_lost") > pl.col("fte_days_available"))
# The publisher rounds the rate to 2 dp; a row whose rate disagrees with its own days is corrupt.
_RATE_MATCHES_DAYS = (
    "the published rate does not equal FTE days lost / FTE days available x 100 (to 2 dp)",
    "sickness_absence_rate_percent",
    (pl.col("fte_days_available") > 0)
    & ((pl.col("fte_days_lost") / pl.col("fte_days_available") * 100 - pl.col("sickness_absence_rate_percent")).abs()
       > 0.005 + 1e-9),
)

SICKNESS_ORG = Format(
    name="sickness_org",
    family="sickness",
    table="sickness_org",
    description="NHS Sickness Absence Rates, organisation CSV (month x organisation)",
    columns=_ORG + _DAYS,
    key=("date", "org_code"),
    period="date",
    org="org_code",
    rules=(_LOST_LE_AVAILABLE, _RATE_MATCHES_DAYS),
)

FORMATS = (SICKNESS_ORG,)
