"""Disclosure control: no published cell may break a METRICS.md threshold, and no record-level data leaves.

The models withhold small cells; this scan checks what they produced, independently of how. Each
threshold is the dbt var the models use, never below the floor METRICS.md sets (a var can make
suppression stricter, not looser).
"""
from __future__ import annotations

import re

from .contract import MartContract

# METRICS.md, "Disclosure control"
FLOORS = {
    "min_respondents": 11,  # survey cells with fewer responses are withheld
    "sickness_min_fte_days_available": 330,  # sickness cells with at most this many FTE days available
    "social_care_min_workers": 10,  # social care cells with fewer workers
}
# the names the marts give the counts each threshold applies to (a text count is checked where it is a number)
SURVEY_COUNTS = ("n_respondents", "n_respondents_label", "n_responses", "pulse_n_responses")
SOCIAL_CARE_COUNTS = ("n_workers", "asc_n_workers")
COUNTS = SURVEY_COUNTS + SOCIAL_CARE_COUNTS
SICKNESS_DENOMINATOR = "fte_days_available"
SICKNESS_WITHHELD_WITH_IT = ("fte_days_lost", "sickness_rate")
# identifiers of people and load provenance never reach the serving database (marts are aggregates and a
# pure function of the inputs: run ids, load ids and times live in meta only)
NOT_PUBLISHABLE = re.compile(
    r"_pid$|^(?:employee|assignment|respondent|response)_id$|^date_of_birth$|^(?:nhs|ni)_number$|^postcode$"
    r"|^_(?:load_id|loaded_at|source_file|source_sha256|source_row)$|^run_id$|^(?:loaded|built|published|run)_at$")


def thresholds(dbt_vars: dict) -> dict[str, float]:
    return {name: max(floor, dbt_vars.get(name, floor)) for name, floor in FLOORS.items()}


def disclosure_expectations(contract: MartContract, limits: dict[str, float]) -> list:
    """Expectations over the mart's rows (a count published as text is given to them as a number)."""
    import great_expectations.expectations as gxe

    columns = set(contract.columns)
    out = []
    if SICKNESS_DENOMINATOR in columns:
        limit = limits["sickness_min_fte_days_available"]
        out.append(gxe.ExpectColumnValuesToBeBetween(
            column=SICKNESS_DENOMINATOR, min_value=limit, strict_min=True,
            meta={"rule": f"withheld (null) when FTE days available <= {limit:g}"}))
        out += [gxe.ExpectColumnValuesToBeNull(
            column=c, row_condition=f"{SICKNESS_DENOMINATOR}.isnull()", condition_parser="pandas",
            meta={"rule": f"withheld wherever {SICKNESS_DENOMINATOR} is withheld"})
            for c in SICKNESS_WITHHELD_WITH_IT if c in columns]
    for names, var, what in ((SURVEY_COUNTS, "min_respondents", "responses"),
                             (SOCIAL_CARE_COUNTS, "social_care_min_workers", "workers")):
        limit = limits[var]
        out += [gxe.ExpectColumnValuesToBeBetween(
            column=c, min_value=limit,
            meta={"rule": f"a cell of fewer than {limit:g} {what} is withheld, its count never shown"})
            for c in names if c in columns]
    for flag, withheld in contract.withheld.items():
        out += [gxe.ExpectColumnValuesToBeNull(
            column=c, row_condition=f"{flag} == True", condition_parser="pandas",
            meta={"rule": f"withheld (null) where {flag} is true"}) for c in withheld]
    return out


def publishable_columns_expectation():
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToNotMatchRegex(
        column="column_name", regex=NOT_PUBLISHABLE.pattern,
        meta={"column": "(columns)", "rule": "no person identifiers or load provenance in a published table"})
