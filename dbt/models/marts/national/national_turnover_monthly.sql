-- England's NHS turnover per month on each boundary basis: the "All staff groups" rows of every organisation
-- that counts towards an ICS on that basis, as ratios of sums (leavers / mean staff in post), with the
-- 12-month leaver rate over England's own series.
with england_month as (
    select
        period_month,
        boundary_basis,
        max(mapping_version) as mapping_version,
        count(distinct icb_code) filter (where sip_start_hc is not null) as n_ics,
        count(distinct org_code) filter (where sip_start_hc is not null) as n_orgs,
        sum(sip_start_hc) as sip_start_hc,
        sum(sip_end_hc) as sip_end_hc,
        sum(joiners_hc) as joiners_hc,
        sum(leavers_hc) as leavers_hc
    from ({{ with_boundary_bases(ref('int_turnover__org_all_staff_monthly'), 'period_month') }}) as org_month
    where icb_code <> '{{ var("outside_ics_code") }}'
    group by period_month, boundary_basis
),

windowed as (
    select
        *,
        {{ leavers_window_columns('w') }}
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
        sip_start_hc,
        sip_end_hc,
        joiners_hc,
        leavers_hc,
        {{ turnover_rate('leavers_hc', 'sip_start_hc', 'sip_end_hc') }} as leaver_rate,
        {{ turnover_rate('joiners_hc', 'sip_start_hc', 'sip_end_hc') }} as joiner_rate,
        {{ when_window_complete('months_in_window',
            turnover_rate('leavers_hc_12m', 'sip_window_start_hc', 'sip_end_hc')) }} as leaver_rate_12m,
        {{ incomplete_window_reason('months_in_window') }} as leaver_rate_12m_reason
    from windowed
)

{{ select_contract_columns('final') }}
