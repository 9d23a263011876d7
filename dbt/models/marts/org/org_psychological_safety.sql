-- Psychological safety per organisation and survey year (Staff Survey; the pulse surveys are a series of their
-- own, org_pulse_survey); cells withheld by disclosure control keep their keys and lose their measures.
with survey as (
    select o.*, d.suppressed, d.suppression_reason
    from {{ ref('int_survey__org_yearly') }} as o
    inner join {{ ref('int_survey__disclosure') }} as d
        on d.cell_level = 'organisation' and d.series = 'staff_survey' and d.org_code = o.org_code and d.survey_year = o.survey_year
),

combined as (
    select
        s.org_code,
        s.survey_year,
        s.source_route,
        s.weighting,
        s.suppressed,
        s.suppression_reason,
        case when not s.suppressed then s.n_respondents end as n_respondents,
        {{ n_respondents_label('s.n_respondents', 's.suppressed') }} as n_respondents_label,
        case when not s.suppressed then s.psi_score end as psi_score,
        case when not s.suppressed then s.psi_pct_positive end as psi_pct_positive,
        case when not s.suppressed then s.psi_base end as psi_base,
        case when not s.suppressed then s.psi_pct_positive_basis end as psi_pct_positive_basis
    from survey as s
),

previous as (
    select
        *,
        {{ previous_year_columns([('psi_pct_positive', 'psi_base')]) }}
    from combined
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
        p.psi_score,
        p.psi_pct_positive,
        p.psi_base,
        p.psi_pct_positive_basis,
        {{ wilson_interval_columns('psi_pct_positive', 'psi_base', prefix='p.') }},
        {{ year_on_year_columns('psi_pct_positive', 'psi_base', prefix='p.') }}
    from previous as p
    left join names as n on n.org_code = p.org_code
    left join {{ ref('int_survey__org_boundaries') }} as m
        on m.org_code = p.org_code and m.survey_year = p.survey_year and m.boundary_basis = 'as_at'
)

{{ select_contract_columns('final') }}
