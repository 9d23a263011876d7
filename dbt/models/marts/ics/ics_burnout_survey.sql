-- Burnout (Copenhagen Burnout Inventory items q12a-g) and work-related stress (q11c) per ICS, survey year and
-- boundary basis, with uncertainty and year-on-year changes.
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
        s.burnout_score,
        s.pct_high_burnout,
        s.n_cbi_scored,
        s.pct_high_burnout_lower,
        s.pct_high_burnout_upper,
        s.pct_high_burnout_change,
        s.pct_high_burnout_z,
        s.pct_high_burnout_significant,
        s.burnout_pct_often_always,
        s.burnout_base,
        s.burnout_pct_often_always_basis,
        s.burnout_pct_often_always_lower,
        s.burnout_pct_often_always_upper,
        s.burnout_pct_often_always_change,
        s.burnout_pct_often_always_z,
        s.burnout_pct_often_always_significant,
        s.pct_unwell_stress,
        s.stress_base,
        s.pct_unwell_stress_basis,
        s.pct_unwell_stress_lower,
        s.pct_unwell_stress_upper,
        s.pct_unwell_stress_change,
        s.pct_unwell_stress_z,
        s.pct_unwell_stress_significant
    from {{ ref('int_survey__ics_yearly') }} as s
    left join names as n on n.icb_code = s.icb_code
)

{{ select_contract_columns('final') }}
