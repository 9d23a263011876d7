-- Sickness days per organisation-month, the unit every sickness rate is summed from.
-- Two routes: the published NHS Sickness Absence Rates and record-level extracts. Where both cover an
-- organisation-month the published figure is used, and the record-level one is kept beside it so a test
-- can check that they agree. Reason totals come from int_sickness__org_reason_monthly.
with published as (
    select org_code, period_month, fte_days_lost, fte_days_available
    from {{ ref('stg_sickness__org_monthly') }}
),

record_level as (
    select * from {{ ref('int_sickness__record_level_org_monthly') }}
),

reasons as (
    select
        org_code,
        period_month,
        sum(fte_days_lost) as reason_fte_days_lost,
        coalesce(sum(fte_days_lost) filter (where reason_code = '{{ var("mental_health_reason_code") }}'), 0)
            as mh_fte_days_lost,
        coalesce(sum(fte_days_lost) filter (
            where reason_code is not null and reason_code <> '{{ var("unknown_reason_code") }}'), 0)
            as known_reason_fte_days_lost
    from {{ ref('int_sickness__org_reason_monthly') }}
    group by org_code, period_month
)

select
    coalesce(p.org_code, r.org_code) as org_code,
    coalesce(p.period_month, r.period_month) as period_month,
    case when p.org_code is not null then 'published' else 'record_level' end as source_route,
    coalesce(p.fte_days_lost, r.fte_days_lost) as fte_days_lost,
    coalesce(p.fte_days_available, r.fte_days_available) as fte_days_available,
    r.long_term_fte_days_lost,
    r.fte_days_lost as record_level_fte_days_lost,
    r.fte_days_available as record_level_fte_days_available,
    x.reason_fte_days_lost,
    x.mh_fte_days_lost,
    x.known_reason_fte_days_lost
from published as p
full join record_level as r
    on r.org_code = p.org_code and r.period_month = p.period_month
left join reasons as x
    on x.org_code = coalesce(p.org_code, r.org_code) and x.period_month = coalesce(p.period_month, r.period_month)
