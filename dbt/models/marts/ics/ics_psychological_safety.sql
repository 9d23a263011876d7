-- Psychological safety (NHS Staff Survey "raising concerns" items) per ICS, survey year and boundary basis,
-- with its uncertainty, its year-on-year change and the spread between member organisations (the local pulse
-- surveys are a series of their own: ics_pulse_survey).
with names as (
    {{ ics_names() }}
),

final as (
    select
        s.icb_code,
        n.icb_name,
        n.region_code,
        s.survey_year,
        s.boundary_basis,
        s.mapping_version,
        s.n_orgs,
        s.n_respondents,
        s.n_respondents_label,
        s.suppressed,
        s.weighting,
        s.psi_score,
        s.psi_pct_positive,
        s.psi_base,
        s.psi_pct_positive_basis,
        s.psi_pct_positive_lower,
        s.psi_pct_positive_upper,
        s.psi_pct_positive_change,
        s.psi_pct_positive_z,
        s.psi_pct_positive_significant,
        s.psi_org_min,
        s.psi_org_max,
        s.psi_org_iqr,
        s.n_orgs_in_spread
    from {{ ref('int_survey__ics_yearly') }} as s
    left join names as n on n.icb_code = s.icb_code
)

{{ select_contract_columns('final') }}
