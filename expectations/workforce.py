"""Workforce: local staff-in-post extracts."""
NON_NEGATIVE = ("staff_in_post", "fte")
ORDERED = ()
WATCHED_RATES = ()
