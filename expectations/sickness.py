"""Sickness marts: rates are percentages, days non-negative, every row keyed."""
import great_expectations.expectations as gxe


def ics_sickness_monthly() -> list:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("icb_code", "period_month", "boundary_basis")],
        gxe.ExpectColumnValuesToBeInSet(column="boundary_basis", value_set=["as_at", "current"]),
        gxe.ExpectColumnValuesToBeBetween(column="sickness_rate", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeBetween(column="sickness_rate_12m", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeBetween(column="fte_days_lost", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="fte_days_available", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fte_days_available", column_B="fte_days_lost",
                                                   or_equal=True),
    ]
