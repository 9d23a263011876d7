"""Adult social care workforce estimates by local authority (Skills for Care)."""
NON_NEGATIVE = ("filled_posts", "n_workers", "asc_filled_posts", "asc_n_workers", "asc_sickness_days_per_worker")
ORDERED = ()
WATCHED_RATES = ("asc_turnover_rate", "asc_vacancy_rate", "asc_sickness_days_per_worker")
