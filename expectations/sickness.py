"""Sickness absence: published rates by organisation, staff group and reason; local absence episodes."""
from .raw import at_least, between, not_after

RAW_RULES = [
    *between("sickness_absence_rate_percent", 0, 100, " (a percentage)"),
    at_least("fte_days_lost", 0, " (days)"),
    at_least("fte_days_available", 0, " (days)"),
    not_after("fte_days_lost", "fte_days_available"),
    at_least("fte", 0),
    not_after("absence_start", "absence_end"),
    not_after("absence_start", "extract_date"),
]

# mart columns that count days or organisations
NON_NEGATIVE = ("fte_days_lost", "fte_days_available", "fte_days_lost_12m", "fte_days_available_12m", "n_orgs")
# (larger, smaller) pairs on one mart row
ORDERED = (("fte_days_available", "fte_days_lost"),)
# ICS rates the distribution gate follows per ICS against its own history
WATCHED_RATES = ("sickness_rate", "sickness_rate_12m", "mh_absence_share")
