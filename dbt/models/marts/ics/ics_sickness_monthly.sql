-- ICS sickness absence rate per month on both boundary bases: a ratio of sums over member organisations.
with org_month as (
    {{ with_boundary_bases(ref('int_sickness__org_monthly'), 'period_month') }}
),

ics_month as (
    select
        icb_code,
        period_month,
        boundary_basis,
        max(mapping_version) as mapping_version,
        count(distinct org_code) as n_orgs,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available
    from org_month
    where icb_code <> '{{ var("outside_ics_code") }}'
    group by icb_code, period_month, boundary_basis
),

windowed as (
    select
        *,
        sum(fte_days_lost) over w as fte_days_lost_12m,
        sum(fte_days_available) over w as fte_days_available_12m,
        count(*) over w as months_in_window
    from ics_month
    window w as (
        partition by icb_code, boundary_basis order by period_month
        range between interval {{ var('rolling_window_months') - 1 }} month preceding and current row
    )
),

names as (
    select icb_code, any_value(icb_name order by valid_from desc) as icb_name,
           any_value(region_code order by valid_from desc) as region_code
    from {{ ref('dim_ics') }}
    group by icb_code
)

select
    w.icb_code,
    n.icb_name,
    n.region_code,
    w.period_month,
    w.boundary_basis,
    w.mapping_version,
    w.n_orgs,
    w.fte_days_lost,
    w.fte_days_available,
    100 * w.fte_days_lost / nullif(w.fte_days_available, 0) as sickness_rate,
    case when w.months_in_window = {{ var('rolling_window_months') }}
        then 100 * w.fte_days_lost_12m / nullif(w.fte_days_available_12m, 0) end as sickness_rate_12m,
    case when w.months_in_window < {{ var('rolling_window_months') }}
        then 'incomplete window: ' || w.months_in_window || ' of {{ var("rolling_window_months") }} months' end
        as sickness_rate_12m_reason
from windowed as w
left join names as n on n.icb_code = w.icb_code
