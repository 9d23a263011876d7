"""NHS Staff Survey (published organisation results, respondent level) and local pulse surveys."""
from .raw import at_least, between

RAW_RULES = [
    *between("value", 0, 100, " (a percentage)", where="measure <> 'sub_score'"),
    *between("value", 0, 10, " (a sub-score)", where="measure = 'sub_score'"),
    at_least("base", 0, " (responses)"),
    at_least("weight", 0),
    # respondent-level answers as the questionnaire numbers them (agree scales 1-5, frequency 1-5, yes/no 1-2)
    *between("answer_code", 1, 9, " (a questionnaire option)"),
    *[rule for item in range(1, 8) for rule in between(f"ps{item}", 1, 7, " (a 7-point scale)")],
]

NON_NEGATIVE = ("n_respondents", "n_responses", "base", "n_orgs")
ORDERED = ()
WATCHED_RATES = ("psi_pct_positive", "psi_score", "burnout_pct_often_always", "pct_high_burnout", "burnout_score",
                 "pct_unwell_stress", "pulse_psi_score")
