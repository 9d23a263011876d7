"""NHS Staff Survey (published organisation results, respondent level) and local pulse surveys."""
NON_NEGATIVE = ("n_respondents", "n_responses", "base", "n_orgs")
ORDERED = ()
WATCHED_RATES = ("psi_pct_positive", "psi_score", "burnout_pct_often_always", "pct_high_burnout", "burnout_score",
                 "pct_unwell_stress", "pulse_psi_score")
