-- Sickness absence per ICS and month on both boundary bases: ratios of sums over member organisations
-- (never a mean of organisation rates), with 12-month windows published only when all 12 months are there and
-- every organisation in the window is there in all 12 (else one missing at an end of the window biases it).
-- sickness_days_per_fte_12m puts the 12-month rate in the unit of social care (days lost per FTE per year).
with ics_month as (
    {%- call ics_monthly_rollup(ref('int_sickness__org_monthly')) %}
        count(distinct org_code) as n_orgs,
        count(distinct org_code) filter (where source_route = 'record_level') as n_orgs_record_level,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available,
        sum(long_term_fte_days_lost) as long_term_fte_days_lost,
        sum(record_level_fte_days_lost) as record_level_fte_days_lost,
        sum(reason_fte_days_lost) as reason_fte_days_lost,
        sum(mh_fte_days_lost) as mh_fte_days_lost,
        sum(known_reason_fte_days_lost) as known_reason_fte_days_lost
    {%- endcall %}
),

window_organisations as (
    {{ ics_window_organisations(ref('int_sickness__org_monthly')) }}
),

windowed as (
    select
        ics_month.*,
        o.orgs_in_window,
        o.org_months_in_window,
        {{ sickness_window_columns('w') }},
        datediff('day', period_month - interval {{ var('rolling_window_months') - 1 }} month,
            period_month + interval 1 month) as window_days,
        count(known_reason_fte_days_lost) over w as reason_months_in_window,
        sum(mh_fte_days_lost) over w as mh_fte_days_lost_12m,
        sum(known_reason_fte_days_lost) over w as known_reason_fte_days_lost_12m
    from ics_month
    left join window_organisations as o using (icb_code, boundary_basis, period_month)
    window w as ({{ rolling_window('icb_code, boundary_basis') }})
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
    {{ sickness_rate('fte_days_lost', 'fte_days_available') }} as sickness_rate,
    long_term_fte_days_lost,
    -- long-term days are known only from record-level extracts: a share of those organisations' days lost
    100 * long_term_fte_days_lost / nullif(record_level_fte_days_lost, 0) as long_term_share,
    {{ when_window_complete('months_in_window', 'fte_days_lost_12m', 'org_months_in_window', 'orgs_in_window') }}
        as fte_days_lost_12m,
    {{ when_window_complete('months_in_window', 'fte_days_available_12m', 'org_months_in_window', 'orgs_in_window') }}
        as fte_days_available_12m,
    {{ when_window_complete('months_in_window', sickness_rate('fte_days_lost_12m', 'fte_days_available_12m'),
        'org_months_in_window', 'orgs_in_window') }} as sickness_rate_12m,
    {{ when_window_complete('months_in_window', sickness_days_per_fte('fte_days_lost_12m', 'fte_days_available_12m',
        'window_days'), 'org_months_in_window', 'orgs_in_window') }} as sickness_days_per_fte_12m,
    {{ incomplete_window_reason('months_in_window', 'org_months_in_window', 'orgs_in_window') }}
        as sickness_rate_12m_reason,
    mh_fte_days_lost,
    known_reason_fte_days_lost,
    {{ mh_absence_share('mh_fte_days_lost', 'known_reason_fte_days_lost') }} as mh_absence_share,
    {{ reason_unknown_share('reason_fte_days_lost', 'known_reason_fte_days_lost') }} as reason_unknown_share,
    -- the reason windows count only the months that have reasons
    {{ when_window_complete('reason_months_in_window', 'mh_fte_days_lost_12m') }} as mh_fte_days_lost_12m,
    {{ when_window_complete('reason_months_in_window', 'known_reason_fte_days_lost_12m') }}
        as known_reason_fte_days_lost_12m,
    {{ when_window_complete('reason_months_in_window',
        mh_absence_share('mh_fte_days_lost_12m', 'known_reason_fte_days_lost_12m')) }} as mh_absence_share_12m
from windowed
