"""Composite marts built on the others: the Burnout Risk Index and the alerts."""

NON_NEGATIVE = ("survey_staleness_months",)
ORDERED = ()
# percentile ranks legitimately move across the whole 0-100 range from month to month
WATCHED_RATES = ()
# ICS-level tables that list only some ICSs by design (the completeness check does not apply)
PARTIAL_BY_DESIGN = {"ics_alerts": "lists only the ICSs that raise an alert"}
