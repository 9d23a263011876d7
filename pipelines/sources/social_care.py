"""Adult social care: Skills for Care local-authority workforce estimates.

Rates arrive as fractions (0-1) in some releases and percentages in others; they are loaded as published and
dbt staging detects the scale per file (and records it) before converting to 0-100.
"""
from __future__ import annotations

import polars as pl

from .base import Column, Format

# ONS local-authority codes: unitary E06, district E07, metropolitan E08, London borough E09, county E10.
LA_CODE = r"^E(06|07|08|09|10)\d{6}$"

SOCIAL_CARE_LA = Format(
    name="social_care_la",
    family="social_care",
    table="social_care_la",
    description="Skills for Care local-authority workforce estimates (year x local authority)",
    columns=(
        Column("year", pl.Int64, min=2000, max=2100),
        Column("la_code", pl.String, pattern=LA_CODE),
        Column("filled_posts", pl.Int64, min=0, thousands=True),
        Column("turnover_rate", pl.Float64, min=0, max=100, nullable=True),
        Column("vacancy_rate", pl.Float64, min=0, max=100, nullable=True),
        Column("sickness_days_per_worker", pl.Float64, min=0, max=366, nullable=True),
        Column("n_workers", pl.Int64, min=0, thousands=True),
    ),
    key=("year", "la_code"),
    period="year",
    org="la_code",
)

# The British Red Cross derivation of Skills for Care's 2019/20 LA file (PROVENANCE §7): no year, no counts of
# posts or workers, and its E07 values are shares of the county rate, not rates. Loaded to its own table as
# published; not staged as yearly estimates.
SOCIAL_CARE_LA_DERIVED = Format(
    name="social_care_la_derived",
    family="social_care",
    table="social_care_la_derived",
    description="Skills for Care 2019/20 LA estimates as derived by the British Red Cross resilience index "
                "(rates are fractions; E07 values are district shares of the county rate)",
    columns=(
        # one row of the derivation has NA for the code and every rate (an unmatched join): kept as published
        Column("la_code", pl.String, header="lad19cd", pattern=LA_CODE, nullable=True),
        Column("turnover_rate", pl.Float64, header="staff turnover rate", min=0, max=1, nullable=True),
        Column("sickness_days_per_worker", pl.Float64, header="mean sickness days", min=0, max=366, nullable=True),
        Column("vacancy_rate", pl.Float64, header="vacancy rate", min=0, max=1, nullable=True),
        Column("non_zero_hours_share", pl.Float64, header="mean % of non-zero-hours contracts", min=0, max=1,
               nullable=True),
        *(Column(f"{index}_{part}", pl.Float64, header=f"adult social care - {index} {part}", nullable=True)
          for index in ("coping", "flexibility") for part in ("score", "rank", "decile")),
    ),
    key=("la_code",),
    org="la_code",
)

FORMATS = (SOCIAL_CARE_LA, SOCIAL_CARE_LA_DERIVED)
