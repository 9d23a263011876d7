"""Reference data: ODS organisation snapshots, the ICS and organisation dimensions."""
NON_NEGATIVE = ()
# validity intervals: valid_to (inclusive) never before valid_from
ORDERED = (("valid_to", "valid_from"),)
WATCHED_RATES = ()
