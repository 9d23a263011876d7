-- NHS turnover per organisation, month and staff group ("All staff groups" is the organisation total; staff
-- groups do not add up to it because one person can be in several). Published benchmarking figures with
-- the 12-month leaver rate; on the total, the record-level stability index and leavers by destination.
{%- set months = var('rolling_window_months') %}
with published as (
    select * from {{ ref('stg_turnover__org_monthly') }}
),

record_level as (
    select
        org_code,
        period_month,
        '{{ var("all_staff_groups") }}' as staff_group,
        staff_at_window_start,
        staff_still_in_post,
        record_level_leavers,
        leavers_destination_known,
        leavers_leaving_nhs
    from {{ ref('int_turnover__record_level_org_monthly') }}
),

cells as (
    select
        coalesce(p.org_code, r.org_code) as org_code,
        coalesce(p.period_month, r.period_month) as period_month,
        coalesce(p.staff_group, r.staff_group) as staff_group,
        p.sip_start_hc,
        p.sip_end_hc,
        p.joiners_hc,
        p.leavers_hc,
        p.sip_start_fte,
        p.sip_end_fte,
        p.joiners_fte,
        p.leavers_fte,
        r.staff_at_window_start,
        r.staff_still_in_post,
        r.record_level_leavers,
        r.leavers_destination_known,
        r.leavers_leaving_nhs
    from published as p
    full join record_level as r
        on r.org_code = p.org_code and r.period_month = p.period_month and r.staff_group = p.staff_group
),

windowed as (
    select
        *,
        count(sip_start_hc) over w as months_in_window,
        sum(leavers_hc) over w as leavers_hc_12m,
        first_value(sip_start_hc) over w as sip_window_start_hc
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
        m.icb_code,
        w.period_month,
        w.staff_group,
        w.sip_start_hc,
        w.sip_end_hc,
        w.joiners_hc,
        w.leavers_hc,
        w.sip_start_fte,
        w.sip_end_fte,
        w.joiners_fte,
        w.leavers_fte,
        100 * w.leavers_hc / nullif((w.sip_start_hc + w.sip_end_hc) / 2, 0) as leaver_rate,
        100 * w.leavers_fte / nullif((w.sip_start_fte + w.sip_end_fte) / 2, 0) as leaver_rate_fte,
        100 * w.joiners_hc / nullif((w.sip_start_hc + w.sip_end_hc) / 2, 0) as joiner_rate,
        100 * w.joiners_fte / nullif((w.sip_start_fte + w.sip_end_fte) / 2, 0) as joiner_rate_fte,
        case when w.months_in_window = {{ months }}
            then 100 * w.leavers_hc_12m / nullif((w.sip_window_start_hc + w.sip_end_hc) / 2, 0) end as leaver_rate_12m,
        case when w.months_in_window < {{ months }}
            then 'incomplete window: ' || w.months_in_window || ' of {{ months }} months' end as leaver_rate_12m_reason,
        w.staff_at_window_start,
        w.staff_still_in_post,
        100 * w.staff_still_in_post / nullif(w.staff_at_window_start, 0) as stability_index,
        w.record_level_leavers,
        w.leavers_destination_known,
        w.leavers_leaving_nhs
    from windowed as w
    left join names as n on n.org_code = w.org_code
    left join {{ ref('int_org_icb_membership') }} as m
        on m.org_code = w.org_code
        and w.period_month >= m.valid_from
        and (m.valid_to is null or w.period_month < m.valid_to)
)

{{ select_contract_columns('final') }}
