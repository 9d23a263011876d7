-- Sickness days per organisation-month, the unit every sickness rate is summed from.
select
    org_code,
    period_month,
    fte_days_lost,
    fte_days_available
from {{ ref('stg_sickness__org_monthly') }}
