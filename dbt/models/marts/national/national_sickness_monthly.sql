-- England's sickness absence per month on each boundary basis: the ICS-months of that basis summed, as ratios
-- of sums, with the 12-month window over England's own series (an ICS created or ended by a merger does not
-- break it). Only published ICS-months are summed: were a withheld one in England's total, the total less the
-- published ICSs would give it away.
with ics_month as (
    select s.*, d.suppressed
    from {{ ref('int_sickness__ics_monthly') }} as s
    inner join {{ ref('int_sickness__disclosure') }} as d
        on d.cell_level = 'ics' and d.icb_code = s.icb_code and d.boundary_basis = s.boundary_basis
        and d.period_month = s.period_month
),

england_month as (
    select
        period_month,
        boundary_basis,
        max(mapping_version) as mapping_version,
        count(*) filter (where not suppressed) as n_ics,
        count(*) filter (where suppressed) as n_ics_withheld,
        sum(n_orgs) filter (where not suppressed) as n_orgs,
        sum(fte_days_lost) filter (where not suppressed) as fte_days_lost,
        sum(fte_days_available) filter (where not suppressed) as fte_days_available,
        sum(mh_fte_days_lost) filter (where not suppressed) as mh_fte_days_lost,
        sum(known_reason_fte_days_lost) filter (where not suppressed) as known_reason_fte_days_lost
    from ics_month
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
        n_ics_withheld,
        n_orgs,
        fte_days_lost,
        fte_days_available,
        {{ sickness_rate('fte_days_lost', 'fte_days_available') }} as sickness_rate,
        {{ when_window_complete('months_in_window', sickness_rate('fte_days_lost_12m', 'fte_days_available_12m')) }}
            as sickness_rate_12m,
        {{ incomplete_window_reason('months_in_window') }} as sickness_rate_12m_reason,
        {{ mh_absence_share('mh_fte_days_lost', 'known_reason_fte_days_lost') }} as mh_absence_share,
        {{ when_window_complete('reason_months_in_window',
            mh_absence_share('mh_fte_days_lost_12m', 'known_reason_fte_days_lost_12m')) }} as mh_absence_share_12m
    from windowed
)

{{ select_contract_columns('final') }}
