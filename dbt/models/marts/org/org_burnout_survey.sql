-- Burnout and work-related stress per organisation and survey year; cells withheld by disclosure control
-- keep their keys and lose their measures.
{%- set year_on_year = [('pct_high_burnout', 'n_cbi_scored'), ('burnout_pct_often_always', 'burnout_base'),
                        ('pct_unwell_stress', 'stress_base')] %}
with survey as (
    select
        o.*,
        d.suppressed,
        d.suppression_reason
    from {{ ref('int_survey__org_yearly') }} as o
    inner join {{ ref('int_survey__disclosure') }} as d
        on d.series = 'staff_survey' and d.org_code = o.org_code and d.survey_year = o.survey_year
),

published as (
    select
        org_code,
        survey_year,
        source_route,
        weighting,
        suppressed,
        suppression_reason,
        case when not suppressed then n_respondents end as n_respondents,
        {{ n_respondents_label('n_respondents', 'suppressed') }} as n_respondents_label,
        case when not suppressed then burnout_score end as burnout_score,
        case when not suppressed then pct_high_burnout end as pct_high_burnout,
        case when not suppressed then n_cbi_scored end as n_cbi_scored,
        case when not suppressed then burnout_pct_often_always end as burnout_pct_often_always,
        case when not suppressed then burnout_base end as burnout_base,
        case when not suppressed then burnout_pct_often_always_basis end as burnout_pct_often_always_basis,
        case when not suppressed then pct_unwell_stress end as pct_unwell_stress,
        case when not suppressed then stress_base end as stress_base,
        case when not suppressed then pct_unwell_stress_basis end as pct_unwell_stress_basis
    from survey
),

previous as (
    select
        *,
        {{ previous_year_columns(year_on_year) }}
    from published
    window y as (partition by org_code order by survey_year)
),

names as (
    {{ org_names() }}
),

final as (
    select
        p.org_code,
        n.org_name,
        m.icb_code,
        p.survey_year,
        p.source_route,
        p.weighting,
        p.n_respondents,
        p.n_respondents_label,
        p.suppressed,
        p.suppression_reason,
        p.burnout_score,
        p.pct_high_burnout,
        p.n_cbi_scored,
        {{ wilson_interval_columns('pct_high_burnout', 'n_cbi_scored', prefix='p.') }},
        p.burnout_pct_often_always,
        p.burnout_base,
        p.burnout_pct_often_always_basis,
        {{ wilson_interval_columns('burnout_pct_often_always', 'burnout_base', prefix='p.') }},
        p.pct_unwell_stress,
        p.stress_base,
        p.pct_unwell_stress_basis,
        {{ wilson_interval_columns('pct_unwell_stress', 'stress_base', prefix='p.') }},
        {%- for measure, base in year_on_year %}
        {{ year_on_year_columns(measure, base, prefix='p.') }}{{ ',' if not loop.last }}
        {%- endfor %}
    from previous as p
    left join names as n on n.org_code = p.org_code
    left join {{ ref('int_survey__org_boundaries') }} as m
        on m.org_code = p.org_code and m.survey_year = p.survey_year and m.boundary_basis = 'as_at'
)

{{ select_contract_columns('final') }}
