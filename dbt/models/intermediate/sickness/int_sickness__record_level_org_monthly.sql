-- Sickness days per organisation-month from record-level extracts (METRICS.md, sickness):
-- days available = days in the month x FTE of the staff in post that month; days lost from the episodes.
-- Only months with staff in post have days available, so only those months are kept.
-- Incremental by month, as int_sickness__record_level_staff_group_monthly.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_rebuilt_months('period_month') }}") }}
with available as (
    select
        org_code,
        period_month,
        sum(fte * dayofmonth(last_day(period_month))) as fte_days_available
    from {{ ref('stg_workforce__staff_in_post') }}
    where {{ rebuilt_months('period_month') }}
    group by org_code, period_month
),

lost as (
    select
        org_code,
        period_month,
        -- in exact decimals: the episode months' order differs between a full and an incremental build
        sum(fte_days_lost::decimal(38, 10))::double as fte_days_lost,
        coalesce(sum(fte_days_lost::decimal(38, 10)) filter (where is_long_term), 0)::double as long_term_fte_days_lost
    from {{ ref('int_sickness__episode_months') }}
    where {{ rebuilt_months('period_month') }}
    group by org_code, period_month
)

select
    a.org_code,
    a.period_month,
    coalesce(l.fte_days_lost, 0) as fte_days_lost,
    a.fte_days_available,
    coalesce(l.long_term_fte_days_lost, 0) as long_term_fte_days_lost
from available as a
left join lost as l
    on l.org_code = a.org_code and l.period_month = a.period_month
-- led by the month it is rebuilt by: appending months leaves the table as a full build writes it
order by a.period_month, a.org_code
