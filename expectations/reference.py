"""Reference data: ODS organisation snapshots, the ICS and organisation dimensions."""
from .raw import not_after

RAW_RULES = [not_after("open_date", "close_date")]

NON_NEGATIVE = ()
# validity intervals: valid_to (inclusive) never before valid_from
ORDERED = (("valid_to", "valid_from"),)
WATCHED_RATES = ()
