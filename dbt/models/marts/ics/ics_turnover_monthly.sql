-- ICS NHS turnover per month on both boundary bases: leaver and joiner rates, the 12-month leaver rate,
-- the record-level stability index and the SPC signal of the monthly leaver rate.
with spc as (
    select * from {{ ref('int_spc__ics_monthly') }} where measure = 'leaver_rate'
),

names as (
    {{ ics_names() }}
),

final as (
    select
        t.icb_code,
        n.icb_name,
        n.region_code,
        t.period_month,
        t.boundary_basis,
        t.mapping_version,
        t.n_orgs,
        t.sip_start_hc,
        t.sip_end_hc,
        t.joiners_hc,
        t.leavers_hc,
        t.sip_start_fte,
        t.sip_end_fte,
        t.joiners_fte,
        t.leavers_fte,
        t.leaver_rate,
        t.leaver_rate_fte,
        t.joiner_rate,
        t.joiner_rate_fte,
        t.leavers_hc_12m,
        t.sip_window_start_hc,
        t.leaver_rate_12m,
        t.leaver_rate_12m_reason,
        t.staff_at_window_start,
        t.staff_still_in_post,
        t.stability_index,
        t.record_level_leavers,
        t.leavers_destination_known,
        t.leavers_leaving_nhs,
        p.spc_centre,
        p.spc_lower_limit,
        p.spc_upper_limit,
        p.spc_rule,
        p.spc_signal,
        p.spc_reason
    from {{ ref('int_turnover__ics_monthly') }} as t
    left join names as n on n.icb_code = t.icb_code
    left join spc as p
        on p.icb_code = t.icb_code and p.boundary_basis = t.boundary_basis and p.period_month = t.period_month
)

{{ select_contract_columns('final') }}
