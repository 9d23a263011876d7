-- ICS sickness absence per month on both boundary bases, with the 12-month rate, the mental-health share
-- and the SPC signal of the monthly rate.
with spc as (
    select * from {{ ref('int_spc__ics_monthly') }} where measure = 'sickness_rate'
),

names as (
    {{ ics_names() }}
),

final as (
    select
        s.icb_code,
        n.icb_name,
        n.region_code,
        s.period_month,
        s.boundary_basis,
        s.mapping_version,
        s.n_orgs,
        s.n_orgs_record_level,
        s.fte_days_lost,
        s.fte_days_available,
        s.sickness_rate,
        s.fte_days_lost_12m,
        s.fte_days_available_12m,
        s.sickness_rate_12m,
        s.sickness_rate_12m_reason,
        s.long_term_fte_days_lost,
        s.long_term_share,
        s.mh_fte_days_lost,
        s.known_reason_fte_days_lost,
        s.mh_absence_share,
        s.reason_unknown_share,
        s.mh_absence_share_12m,
        p.spc_centre,
        p.spc_lower_limit,
        p.spc_upper_limit,
        p.spc_rule,
        p.spc_signal,
        p.spc_reason
    from {{ ref('int_sickness__ics_monthly') }} as s
    left join names as n on n.icb_code = s.icb_code
    left join spc as p
        on p.icb_code = s.icb_code and p.boundary_basis = s.boundary_basis and p.period_month = s.period_month
)

{{ select_contract_columns('final') }}
