"""Which rules guard which mart: one module per source family, combined here.

Mart columns mean the same in every mart, so every family's mart rules apply wherever a mart has the column.
(Raw tables are guarded by their extract formats' contract: see raw.py.)
"""
from __future__ import annotations

from . import reference, risk, sickness, social_care, survey, turnover, workforce
from .marts import MartRules

MART_MODULES = (sickness, workforce, turnover, survey, social_care, reference, risk)


def mart_rules(outside_ics_code: str) -> MartRules:
    return MartRules(
        non_negative=frozenset(c for m in MART_MODULES for c in m.NON_NEGATIVE),
        ordered=tuple(pair for m in MART_MODULES for pair in m.ORDERED),
        watched_rates=frozenset(c for m in MART_MODULES for c in m.WATCHED_RATES),
        partial_by_design=dict(risk.PARTIAL_BY_DESIGN),
        outside_ics_code=outside_ics_code,
    )
