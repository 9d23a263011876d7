"""Sickness absence: published rates by organisation, staff group and reason; local absence episodes."""
# mart columns that count days or organisations
NON_NEGATIVE = ("fte_days_lost", "fte_days_available", "fte_days_lost_12m", "fte_days_available_12m", "n_orgs")
# (larger, smaller) pairs on one mart row
ORDERED = (("fte_days_available", "fte_days_lost"),)
# ICS rates the distribution gate follows per ICS against its own history
WATCHED_RATES = ("sickness_rate", "sickness_rate_12m", "mh_absence_share")
