"""Workforce: local staff-in-post extracts."""
from .raw import at_least, not_after

RAW_RULES = [
    at_least("fte", 0),
    not_after("start_date", "month_end"),
]

NON_NEGATIVE = ("staff_in_post", "fte")
ORDERED = ()
WATCHED_RATES = ()
