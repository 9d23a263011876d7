-- Burnout and work-related stress per organisation and survey year; cells withheld by disclosure control
-- keep their keys and lose their measures.
with survey as (
    select
        o.*,
        d.suppressed,
        d.suppression_reason
    from {{ ref('int_survey__org_yearly') }} as o
    inner join {{ ref('int_survey__org_disclosure') }} as d
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
        case when suppressed then
            case when n_respondents < {{ var('min_respondents') }} then '<{{ var("min_respondents") }}' else 'withheld' end
            else n_respondents::varchar end as n_respondents_label,
        case when not suppressed then burnout_score end as burnout_score,
        case when not suppressed then pct_high_burnout end as pct_high_burnout,
        case when not suppressed then n_cbi_scored end as n_cbi_scored,
        case when not suppressed then burnout_pct_often_always end as burnout_pct_often_always,
        case when not suppressed then burnout_base end as burnout_base,
        case when not suppressed then pct_unwell_stress end as pct_unwell_stress,
        case when not suppressed then stress_base end as stress_base
    from survey
),

previous as (
    select
        *,
        lag(survey_year) over y = survey_year - 1 as has_previous_year,
        lag(burnout_pct_often_always) over y as burnout_pct_often_always_prev,
        lag(burnout_base) over y as burnout_base_prev,
        lag(pct_high_burnout) over y as pct_high_burnout_prev,
        lag(n_cbi_scored) over y as n_cbi_scored_prev,
        lag(pct_unwell_stress) over y as pct_unwell_stress_prev,
        lag(stress_base) over y as stress_base_prev
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
        {{ wilson_bound('p.pct_high_burnout', 'p.n_cbi_scored', 'lower') }} as pct_high_burnout_lower,
        {{ wilson_bound('p.pct_high_burnout', 'p.n_cbi_scored', 'upper') }} as pct_high_burnout_upper,
        p.burnout_pct_often_always,
        p.burnout_base,
        {{ wilson_bound('p.burnout_pct_often_always', 'p.burnout_base', 'lower') }} as burnout_pct_often_always_lower,
        {{ wilson_bound('p.burnout_pct_often_always', 'p.burnout_base', 'upper') }} as burnout_pct_often_always_upper,
        p.pct_unwell_stress,
        p.stress_base,
        {{ wilson_bound('p.pct_unwell_stress', 'p.stress_base', 'lower') }} as pct_unwell_stress_lower,
        {{ wilson_bound('p.pct_unwell_stress', 'p.stress_base', 'upper') }} as pct_unwell_stress_upper,
        {%- for measure, base in [('pct_high_burnout', 'n_cbi_scored'), ('burnout_pct_often_always', 'burnout_base'),
                                  ('pct_unwell_stress', 'stress_base')] %}
        case when p.has_previous_year then p.{{ measure }} - p.{{ measure }}_prev end as {{ measure }}_change,
        case when p.has_previous_year then {{ is_significant(two_proportion_z(
            'p.' ~ measure, 'p.' ~ base, 'p.' ~ measure ~ '_prev', 'p.' ~ base ~ '_prev')) }} end
            as {{ measure }}_significant{{ ',' if not loop.last }}
        {%- endfor %}
    from previous as p
    left join names as n on n.org_code = p.org_code
    left join {{ ref('int_survey__org_boundaries') }} as m
        on m.org_code = p.org_code and m.survey_year = p.survey_year and m.boundary_basis = 'as_at'
)

{{ select_contract_columns('final') }}
