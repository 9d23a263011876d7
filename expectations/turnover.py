"""Turnover: published benchmarking (staff in post, joiners, leavers) and local leaver records."""
from .raw import at_least, one_of

RAW_RULES = [
    at_least("hc", 0, " (headcount)"),
    at_least("fte", 0),
    one_of("type", ("Denominator at start of period", "Denominator at end of period", "Joiners", "Leavers")),
]

NON_NEGATIVE = ("sip_start_hc", "sip_end_hc", "joiners_hc", "leavers_hc", "sip_start_fte", "sip_end_fte",
                "joiners_fte", "leavers_fte", "leavers_12m", "n_leavers", "n_joiners")
ORDERED = ()
WATCHED_RATES = ("leaver_rate", "leaver_rate_fte", "joiner_rate", "leaver_rate_12m", "stability_index")
