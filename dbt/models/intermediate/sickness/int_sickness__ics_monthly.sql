-- Sickness absence per ICS and month on both boundary bases: ratios of sums over member organisations
-- (never a mean of organisation rates), with 12-month windows published only when all 12 months are there.
{%- set months = var('rolling_window_months') %}
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
        count(distinct org_code) filter (where source_route = 'record_level') as n_orgs_record_level,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available,
        sum(long_term_fte_days_lost) as long_term_fte_days_lost,
        sum(record_level_fte_days_lost) as record_level_fte_days_lost,
        sum(reason_fte_days_lost) as reason_fte_days_lost,
        sum(mh_fte_days_lost) as mh_fte_days_lost,
        sum(known_reason_fte_days_lost) as known_reason_fte_days_lost
    from org_month
    where icb_code <> '{{ var("outside_ics_code") }}'
    group by icb_code, period_month, boundary_basis
),

windowed as (
    select
        *,
        count(*) over w as months_in_window,
        sum(fte_days_lost) over w as fte_days_lost_12m,
        sum(fte_days_available) over w as fte_days_available_12m,
        count(known_reason_fte_days_lost) over w as reason_months_in_window,
        sum(mh_fte_days_lost) over w as mh_fte_days_lost_12m,
        sum(known_reason_fte_days_lost) over w as known_reason_fte_days_lost_12m
    from ics_month
    window w as (
        partition by icb_code, boundary_basis order by period_month
        range between interval {{ months - 1 }} month preceding and current row
    )
)

select
    icb_code,
    period_month,
    boundary_basis,
    mapping_version,
    n_orgs,
    n_orgs_record_level,
    fte_days_lost,
    fte_days_available,
    100 * fte_days_lost / nullif(fte_days_available, 0) as sickness_rate,
    long_term_fte_days_lost,
    -- long-term days are known only from record-level extracts: a share of those organisations' days lost
    100 * long_term_fte_days_lost / nullif(record_level_fte_days_lost, 0) as long_term_share,
    case when months_in_window = {{ months }} then fte_days_lost_12m end as fte_days_lost_12m,
    case when months_in_window = {{ months }} then fte_days_available_12m end as fte_days_available_12m,
    case when months_in_window = {{ months }}
        then 100 * fte_days_lost_12m / nullif(fte_days_available_12m, 0) end as sickness_rate_12m,
    case when months_in_window < {{ months }}
        then 'incomplete window: ' || months_in_window || ' of {{ months }} months' end as sickness_rate_12m_reason,
    mh_fte_days_lost,
    known_reason_fte_days_lost,
    100 * mh_fte_days_lost / nullif(known_reason_fte_days_lost, 0) as mh_absence_share,
    100 * (reason_fte_days_lost - known_reason_fte_days_lost) / nullif(reason_fte_days_lost, 0)
        as reason_unknown_share,
    case when reason_months_in_window = {{ months }} then mh_fte_days_lost_12m end as mh_fte_days_lost_12m,
    case when reason_months_in_window = {{ months }} then known_reason_fte_days_lost_12m end
        as known_reason_fte_days_lost_12m,
    case when reason_months_in_window = {{ months }}
        then 100 * mh_fte_days_lost_12m / nullif(known_reason_fte_days_lost_12m, 0) end as mh_absence_share_12m
from windowed
