-- NHS turnover per organisation, month and staff group ("All staff groups" is the organisation total; staff
-- groups do not add up to it because one person can be in several). Published benchmarking figures with
-- the 12-month leaver rate; on the total, the record-level stability index and leavers by destination.
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
    {{ turnover_cells('published', 'record_level', ['org_code', 'period_month', 'staff_group']) }}
),

windowed as (
    select
        *,
        {{ leavers_window_columns('w') }}
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
        {{ turnover_rate('w.leavers_hc', 'w.sip_start_hc', 'w.sip_end_hc') }} as leaver_rate,
        {{ turnover_rate('w.leavers_fte', 'w.sip_start_fte', 'w.sip_end_fte') }} as leaver_rate_fte,
        {{ turnover_rate('w.joiners_hc', 'w.sip_start_hc', 'w.sip_end_hc') }} as joiner_rate,
        {{ turnover_rate('w.joiners_fte', 'w.sip_start_fte', 'w.sip_end_fte') }} as joiner_rate_fte,
        {{ when_window_complete('w.months_in_window',
            turnover_rate('w.leavers_hc_12m', 'w.sip_window_start_hc', 'w.sip_end_hc')) }} as leaver_rate_12m,
        {{ incomplete_window_reason('w.months_in_window') }} as leaver_rate_12m_reason,
        w.staff_at_window_start,
        w.staff_still_in_post,
        {{ stability_index('w.staff_still_in_post', 'w.staff_at_window_start') }} as stability_index,
        w.record_level_leavers,
        w.leavers_destination_known,
        w.leavers_leaving_nhs
    from windowed as w
    left join names as n on n.org_code = w.org_code
    left join {{ ref('int_org_icb_membership') }} as m on {{ is_member_at('m', 'w', 'w.period_month') }}
)

{{ select_contract_columns('final') }}
