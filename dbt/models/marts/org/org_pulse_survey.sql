-- Local team pulse surveys per organisation and pulse year: a series of its own (METRICS.md), never attached to a
-- Staff Survey year. Cells withheld by disclosure control (int_survey__disclosure, series pulse) keep their keys
-- and lose their values.
with names as (
    {{ org_names() }}
),

final as (
    select
        p.org_code,
        n.org_name,
        m.icb_code,
        p.pulse_year,
        d.suppressed,
        d.suppression_reason,
        case when not d.suppressed then p.pulse_n_responses end as pulse_n_responses,
        case when not d.suppressed then p.pulse_n_teams end as pulse_n_teams,
        case when not d.suppressed then p.pulse_psi_score end as pulse_psi_score
    from {{ ref('int_pulse__org_yearly') }} as p
    inner join {{ ref('int_survey__disclosure') }} as d
        on d.cell_level = 'organisation' and d.series = 'pulse' and d.org_code = p.org_code
        and d.survey_year = p.pulse_year
    left join names as n on n.org_code = p.org_code
    left join {{ ref('int_survey__org_boundaries') }} as m
        on m.org_code = p.org_code and m.survey_year = p.pulse_year and m.boundary_basis = 'as_at'
)

{{ select_contract_columns('final') }}
