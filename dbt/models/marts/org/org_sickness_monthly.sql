-- Sickness absence per organisation, month and staff group ("All staff groups" is the organisation total),
-- with the 12-month rate and, on the total, long-term absence and the mental-health share.
-- Cells withheld by disclosure control keep their keys and lose their days and rates; a 12-month rate is shown
-- only when no month of its window is withheld.
with disclosure as (
    select
        *,
        count(*) filter (where suppressed) over ({{ rolling_window('org_code, staff_group') }}) as withheld_months_in_window
    from {{ ref('int_sickness__disclosure') }}
    where cell_level in ('organisation', 'staff_group')
),

cells as (
    select
        org_code,
        period_month,
        '{{ var("all_staff_groups") }}' as staff_group,
        source_route,
        fte_days_lost,
        fte_days_available,
        long_term_fte_days_lost,
        {{ mh_absence_share('mh_fte_days_lost', 'known_reason_fte_days_lost') }} as mh_absence_share,
        {{ reason_unknown_share('reason_fte_days_lost', 'known_reason_fte_days_lost') }} as reason_unknown_share
    from {{ ref('int_sickness__org_monthly') }}
    union all by name
    select org_code, period_month, staff_group, source_route, fte_days_lost, fte_days_available
    from {{ ref('int_sickness__org_staff_group_monthly') }}
),

windowed as (
    select
        *,
        {{ sickness_window_columns('w') }}
    from cells
    window w as ({{ rolling_window('org_code, staff_group') }})
),

names as (
    {{ org_names() }}
),

final as (
    select
        w.org_code,
        n.org_name,
        n.org_type,
        m.icb_code,
        w.period_month,
        w.staff_group,
        w.source_route,
        d.suppressed,
        d.suppression_reason,
        case when not d.suppressed then w.fte_days_lost end as fte_days_lost,
        case when not d.suppressed then w.fte_days_available end as fte_days_available,
        case when not d.suppressed then {{ sickness_rate('w.fte_days_lost', 'w.fte_days_available') }} end as sickness_rate,
        case when d.withheld_months_in_window = 0 then {{ when_window_complete('w.months_in_window',
            sickness_rate('w.fte_days_lost_12m', 'w.fte_days_available_12m')) }} end as sickness_rate_12m,
        case when d.suppressed then 'withheld'
            when d.withheld_months_in_window > 0 then 'withheld: a month of the window is withheld'
            else {{ incomplete_window_reason('w.months_in_window') }} end
            as sickness_rate_12m_reason,
        case when not d.suppressed then w.long_term_fte_days_lost end as long_term_fte_days_lost,
        case when not d.suppressed then w.mh_absence_share end as mh_absence_share,
        case when not d.suppressed then w.reason_unknown_share end as reason_unknown_share
    from windowed as w
    inner join disclosure as d
        on d.org_code = w.org_code and d.period_month = w.period_month and d.staff_group = w.staff_group
    left join names as n on n.org_code = w.org_code
    left join {{ ref('int_org_icb_membership') }} as m on {{ is_member_at('m', 'w', 'w.period_month') }}
)

{{ select_contract_columns('final') }}
