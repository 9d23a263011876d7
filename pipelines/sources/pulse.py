"""Local team pulse surveys: the Edmondson 7-item team psychological safety scale (record level)."""
from __future__ import annotations

import polars as pl

from .base import ODS_CODE, Column, Format

PULSE_RESPONSES = Format(
    name="pulse_responses",
    family="pulse",
    table="pulse_responses",
    description="Team pulse survey responses, Edmondson 7-item scale coded 1-7 (one row per response; record level)",
    record_level=True,
    columns=(
        Column("response_id", pl.String, privacy="pseudonymise"),
        Column("org_code", pl.String, pattern=ODS_CODE),
        Column("team_id", pl.String),
        Column("submitted_at", pl.Datetime, date_format="%Y-%m-%dT%H:%M:%S"),
        # a skipped item is blank
        *(Column(f"ps{i}", pl.Int64, min=1, max=7, nullable=True) for i in range(1, 8)),
    ),
    key=("org_code", "response_id"),
    period="submitted_at",
    org="org_code",
)

FORMATS = (PULSE_RESPONSES,)
