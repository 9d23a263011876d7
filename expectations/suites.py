"""Which rules guard which table: one module per source family, combined here.

Raw tables take the rules of their own family; mart columns mean the same in every mart, so every family's
mart rules apply wherever a mart has the column.
"""
from __future__ import annotations

from . import reference, risk, sickness, social_care, survey, turnover, workforce
from .marts import MartRules
from .raw import RawRule

FAMILY_MODULES = {"sickness": sickness, "workforce": workforce, "turnover": turnover, "survey": survey,
                  "pulse": survey, "social_care": social_care, "reference": reference}
MART_MODULES = (sickness, workforce, turnover, survey, social_care, reference, risk)


def raw_rules(family: str) -> list[RawRule]:
    module = FAMILY_MODULES.get(family)
    return list(module.RAW_RULES) if module else []


def mart_rules(outside_ics_code: str) -> MartRules:
    return MartRules(
        non_negative=frozenset(c for m in MART_MODULES for c in m.NON_NEGATIVE),
        ordered=tuple(pair for m in MART_MODULES for pair in m.ORDERED),
        watched_rates=frozenset(c for m in MART_MODULES for c in m.WATCHED_RATES),
        partial_by_design=dict(risk.PARTIAL_BY_DESIGN),
        outside_ics_code=outside_ics_code,
    )
