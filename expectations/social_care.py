"""Adult social care workforce estimates by local authority (Skills for Care)."""
from .raw import at_least, between

RAW_RULES = [
    at_least("filled_posts", 0),
    at_least("n_workers", 0),
    # a file may give rates as fractions or percentages; either way within 0-100
    *between("turnover_rate", 0, 100, " (a rate)"),
    *between("vacancy_rate", 0, 100, " (a rate)"),
    *between("sickness_days_per_worker", 0, 366, " (days in a year)"),
]

NON_NEGATIVE = ("filled_posts", "n_workers", "asc_filled_posts", "asc_n_workers", "asc_sickness_days_per_worker")
ORDERED = ()
WATCHED_RATES = ("asc_turnover_rate", "asc_vacancy_rate", "asc_sickness_days_per_worker")
