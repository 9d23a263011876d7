"""Turnover: published benchmarking (staff in post, joiners, leavers) and local leaver records."""
NON_NEGATIVE = ("sip_start_hc", "sip_end_hc", "joiners_hc", "leavers_hc", "sip_start_fte", "sip_end_fte",
                "joiners_fte", "leavers_fte", "leavers_12m", "n_leavers", "n_joiners")
ORDERED = ()
WATCHED_RATES = ("leaver_rate", "leaver_rate_fte", "joiner_rate", "leaver_rate_12m", "stability_index")
