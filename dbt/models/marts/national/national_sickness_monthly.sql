-- England's sickness absence per month on each boundary basis: every organisation-month that counts towards
-- an ICS on that basis (bodies outside any ICS left out, as from every ICS), as ratios of sums, with the
-- 12-month window over England's own series (an ICS created or ended by a merger does not break it).
with england_month as (
    select
        period_month,
        boundary_basis,
        max(mapping_version) as mapping_version,
        count(distinct icb_code) as n_ics,
        count(distinct org_code) as n_orgs,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available,
        sum(reason_fte_days_lost) as reason_fte_days_lost,
        sum(mh_fte_days_lost) as mh_fte_days_lost,
        sum(known_reason_fte_days_lost) as known_reason_fte_days_lost
    from ({{ with_boundary_bases(ref('int_sickness__org_monthly'), 'period_month') }}) as org_month
    where icb_code <> '{{ var("outside_ics_code") }}'
    group by period_month, boundary_basis
),

windowed as (
    select
        *,
        {{ sickness_window_columns('w') }},
        count(known_reason_fte_days_lost) over w as reason_months_in_window,
        sum(mh_fte_days_lost) over w as mh_fte_days_lost_12m,
        sum(known_reason_fte_days_lost) over w as known_reason_fte_days_lost_12m
    from england_month
    window w as ({{ rolling_window('boundary_basis') }})
),

final as (
    select
        period_month,
        boundary_basis,
        mapping_version,
        n_ics,
        n_orgs,
        fte_days_lost,
        fte_days_available,
        {{ sickness_rate('fte_days_lost', 'fte_days_available') }} as sickness_rate,
        {{ when_window_complete('months_in_window', sickness_rate('fte_days_lost_12m', 'fte_days_available_12m')) }}
            as sickness_rate_12m,
        {{ incomplete_window_reason('months_in_window') }} as sickness_rate_12m_reason,
        {{ mh_absence_share('mh_fte_days_lost', 'known_reason_fte_days_lost') }} as mh_absence_share,
        {{ reason_unknown_share('reason_fte_days_lost', 'known_reason_fte_days_lost') }} as reason_unknown_share,
        {{ when_window_complete('reason_months_in_window',
            mh_absence_share('mh_fte_days_lost_12m', 'known_reason_fte_days_lost_12m')) }} as mh_absence_share_12m
    from windowed
)

{{ select_contract_columns('final') }}
