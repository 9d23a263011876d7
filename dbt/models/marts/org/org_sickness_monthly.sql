-- Sickness absence per organisation, month and staff group ("All staff groups" is the organisation total),
-- with the 12-month rate and, on the total, long-term absence and the mental-health share.
-- Cells withheld by disclosure control keep their keys and lose their days and rates.
{%- set months = var('rolling_window_months') %}
with cells as (
    select
        org_code,
        period_month,
        '{{ var("all_staff_groups") }}' as staff_group,
        source_route,
        fte_days_lost,
        fte_days_available,
        long_term_fte_days_lost,
        100 * mh_fte_days_lost / nullif(known_reason_fte_days_lost, 0) as mh_absence_share,
        100 * (reason_fte_days_lost - known_reason_fte_days_lost) / nullif(reason_fte_days_lost, 0)
            as reason_unknown_share
    from {{ ref('int_sickness__org_monthly') }}
    union all by name
    select org_code, period_month, staff_group, source_route, fte_days_lost, fte_days_available
    from {{ ref('int_sickness__org_staff_group_monthly') }}
),

windowed as (
    select
        *,
        count(*) over w as months_in_window,
        sum(fte_days_lost) over w as fte_days_lost_12m,
        sum(fte_days_available) over w as fte_days_available_12m
    from cells
    window w as (
        partition by org_code, staff_group order by period_month
        range between interval {{ months - 1 }} month preceding and current row
    )
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
        case when not d.suppressed then 100 * w.fte_days_lost / nullif(w.fte_days_available, 0) end as sickness_rate,
        case when not d.suppressed and w.months_in_window = {{ months }}
            then 100 * w.fte_days_lost_12m / nullif(w.fte_days_available_12m, 0) end as sickness_rate_12m,
        case
            when d.suppressed then 'withheld'
            when w.months_in_window < {{ months }} then 'incomplete window: ' || w.months_in_window || ' of {{ months }} months'
        end as sickness_rate_12m_reason,
        case when not d.suppressed then w.long_term_fte_days_lost end as long_term_fte_days_lost,
        case when not d.suppressed then w.mh_absence_share end as mh_absence_share,
        case when not d.suppressed then w.reason_unknown_share end as reason_unknown_share
    from windowed as w
    inner join {{ ref('int_sickness__org_disclosure') }} as d
        on d.org_code = w.org_code and d.period_month = w.period_month and d.staff_group = w.staff_group
    left join names as n on n.org_code = w.org_code
    left join {{ ref('int_org_icb_membership') }} as m
        on m.org_code = w.org_code
        and w.period_month >= m.valid_from
        and (m.valid_to is null or w.period_month < m.valid_to)
)

{{ select_contract_columns('final') }}
