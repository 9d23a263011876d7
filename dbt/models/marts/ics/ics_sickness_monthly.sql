-- ICS sickness absence per month on both boundary bases, with the 12-month rate, the mental-health share
-- and the SPC signals of the monthly rate and of the mental-health share. An ICS-month withheld by disclosure
-- control (int_sickness__disclosure) keeps its keys and loses its days and rates, and a 12-month figure is
-- shown only when no month of its window is withheld (two consecutive windows differ by one month at each end).
with disclosure as (
    select
        icb_code,
        boundary_basis,
        period_month,
        suppressed,
        suppression_reason,
        count(*) filter (where suppressed) over (
            {{ rolling_window('icb_code, boundary_basis') }}) as withheld_months_in_window
    from {{ ref('int_sickness__disclosure') }}
    where cell_level = 'ics'
),

spc as (
    select * from {{ ref('int_spc__ics_monthly') }} where measure = 'sickness_rate'
),

mh_spc as (
    select * from {{ ref('int_spc__ics_monthly') }} where measure = 'mh_absence_share'
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
        d.suppressed,
        d.suppression_reason,
        case when not d.suppressed then s.fte_days_lost end as fte_days_lost,
        case when not d.suppressed then s.fte_days_available end as fte_days_available,
        case when not d.suppressed then s.sickness_rate end as sickness_rate,
        case when d.withheld_months_in_window = 0 then s.fte_days_lost_12m end as fte_days_lost_12m,
        case when d.withheld_months_in_window = 0 then s.fte_days_available_12m end as fte_days_available_12m,
        case when d.withheld_months_in_window = 0 then s.sickness_rate_12m end as sickness_rate_12m,
        case when d.withheld_months_in_window = 0 then s.sickness_days_per_fte_12m end as sickness_days_per_fte_12m,
        case when d.withheld_months_in_window > 0 then 'withheld: a month of the window is withheld'
            else s.sickness_rate_12m_reason end as sickness_rate_12m_reason,
        case when not d.suppressed then s.long_term_fte_days_lost end as long_term_fte_days_lost,
        case when not d.suppressed then s.long_term_share end as long_term_share,
        case when not d.suppressed then s.mh_fte_days_lost end as mh_fte_days_lost,
        case when not d.suppressed then s.known_reason_fte_days_lost end as known_reason_fte_days_lost,
        case when not d.suppressed then s.mh_absence_share end as mh_absence_share,
        case when not d.suppressed then s.reason_unknown_share end as reason_unknown_share,
        case when d.withheld_months_in_window = 0 then s.mh_absence_share_12m end as mh_absence_share_12m,
        p.spc_centre,
        p.spc_lower_limit,
        p.spc_upper_limit,
        p.spc_rule,
        p.spc_signal,
        p.spc_reason,
        m.spc_centre as mh_spc_centre,
        m.spc_lower_limit as mh_spc_lower_limit,
        m.spc_upper_limit as mh_spc_upper_limit,
        m.spc_rule as mh_spc_rule,
        m.spc_signal as mh_spc_signal,
        m.spc_reason as mh_spc_reason
    from {{ ref('int_sickness__ics_monthly') }} as s
    inner join disclosure as d
        on d.icb_code = s.icb_code and d.boundary_basis = s.boundary_basis and d.period_month = s.period_month
    left join names as n on n.icb_code = s.icb_code
    left join spc as p
        on p.icb_code = s.icb_code and p.boundary_basis = s.boundary_basis and p.period_month = s.period_month
    left join mh_spc as m
        on m.icb_code = s.icb_code and m.boundary_basis = s.boundary_basis and m.period_month = s.period_month
)

{{ select_contract_columns('final') }}
