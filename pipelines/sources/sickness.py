"""Sickness absence: NHS Sickness Absence Rates (published CSVs) and local absence episodes (record level)."""
from __future__ import annotations

import polars as pl

from .base import ODS_CODE, Column, Format

UK_DATE = "%d/%m/%Y"
ISO_DATE = "%Y-%m-%d"
# ESR absence reasons: S10 (anxiety/stress/depression) ... S32, S98 other known, S99 unknown.
REASON_CODE = r"^S(1\d|2\d|3[0-2]|98|99)$"

_DATE = Column("date", pl.Date, date_format=UK_DATE)
_ORG_CODE = Column("org_code", pl.String, pattern=ODS_CODE)
_REGION = Column("nhse_region_code", pl.String)
_OPTIONAL_NAMES = tuple(Column(n, pl.String, required=False, nullable=True)
                        for n in ("nhse_region_name", "ics_code", "ics_name", "org_name", "org_type"))
_BENCHMARK = (Column("cluster_group", pl.String), Column("benchmark_group", pl.String))
_DAYS = (
    Column("fte_days_lost", pl.Float64, min=0),
    Column("fte_days_available", pl.Float64, min=0),
    Column("sickness_absence_rate_percent", pl.Float64, min=0, max=100),
)
_LOST_LE_AVAILABLE = ("FTE days lost exceed FTE days available", "fte_days_lost",
                      "fte_days_lost > fte_days_available")
# The publisher rounds the rate to 2 dp; a row whose rate disagrees with its own days is corrupt.
_RATE_MATCHES_DAYS = (
    "the published rate does not equal FTE days lost / FTE days available x 100 (to 2 dp)",
    "sickness_absence_rate_percent",
    "fte_days_available > 0 and abs(fte_days_lost / fte_days_available * 100 - sickness_absence_rate_percent) "
    "> 0.005 + 1e-9",
)

SICKNESS_ORG = Format(
    name="sickness_org",
    family="sickness",
    table="sickness_org",
    description="NHS Sickness Absence Rates, organisation CSV (month x organisation)",
    columns=(
        _DATE, _REGION,
        Column("nhse_region_name", pl.String, required=False, nullable=True),
        Column("ics_code", pl.String),
        Column("ics_name", pl.String),
        _ORG_CODE,
        Column("org_name", pl.String),
        Column("org_type", pl.String),
        *_DAYS,
    ),
    key=("date", "org_code"),
    period="date",
    org="org_code",
    rules=(_LOST_LE_AVAILABLE, _RATE_MATCHES_DAYS),
)

SICKNESS_STAFF_GROUP = Format(
    name="sickness_staff_group",
    family="sickness",
    table="sickness_staff_group",
    description="NHS Sickness Absence Rates, benchmarking CSV by staff group (month x organisation x staff group)",
    # older releases have no ICS or name columns: those are optional
    columns=(_DATE, _REGION, *_OPTIONAL_NAMES, _ORG_CODE, *_BENCHMARK, Column("staff_group", pl.String), *_DAYS),
    key=("date", "org_code", "staff_group"),
    period="date",
    org="org_code",
    rules=(_LOST_LE_AVAILABLE, _RATE_MATCHES_DAYS),
)

SICKNESS_REASON = Format(
    name="sickness_reason",
    family="sickness",
    table="sickness_reason",
    description="NHS Sickness Absence Rates, reason CSV (month x organisation x reason, FTE days lost)",
    columns=(
        _DATE,
        Column("nhse_region_code", pl.String, required=False, nullable=True),
        *_OPTIONAL_NAMES,
        _ORG_CODE,
        *(Column(c.name, c.dtype, required=False, nullable=True) for c in _BENCHMARK),
        Column("reason", pl.String, pattern=REASON_CODE),
        Column("fte_days_lost", pl.Float64, min=0),
    ),
    key=("date", "org_code", "reason"),
    period="date",
    org="org_code",
)

ABSENCE_EPISODES = Format(
    name="absence_episodes",
    family="sickness",
    table="absence_episodes",
    description="Local absence episodes from ESR (one row per episode; record level, identifiers pseudonymised)",
    record_level=True,
    columns=(
        Column("employee_id", pl.String, privacy="pseudonymise"),
        Column("assignment_id", pl.String, privacy="pseudonymise"),
        _ORG_CODE,
        Column("absence_start", pl.Date, date_format=ISO_DATE),
        Column("absence_end", pl.Date, nullable=True, date_format=ISO_DATE),
        Column("fte", pl.Float64, min=0, max=1.5),
        Column("reason_code", pl.String, pattern=REASON_CODE),
        Column("extract_date", pl.Date, date_format=ISO_DATE),
    ),
    # the same episode appears again in a later extract (with its end date filled in): extract_date is in the key
    key=("employee_id", "assignment_id", "absence_start", "extract_date"),
    period="extract_date",
    org="org_code",
    rules=(
        ("the absence ends before it starts", "absence_end", "absence_end < absence_start"),
        ("the absence starts after the extract date", "absence_start", "absence_start > extract_date"),
    ),
)

FORMATS = (SICKNESS_ORG, SICKNESS_STAFF_GROUP, SICKNESS_REASON, ABSENCE_EPISODES)
