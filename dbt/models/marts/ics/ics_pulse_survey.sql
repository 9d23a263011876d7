-- Local team pulse surveys (Edmondson 7-item scale) per ICS, pulse year and boundary basis: a series of its own
-- (METRICS.md), never attached to or mixed with a Staff Survey year. pulse_psi_score = (mean response score - 1)
-- / 6 x 10 over every response of the ICS's organisations. Organisations are placed as for the Staff Survey
-- (int_survey__org_boundaries); cells are withheld by int_survey__disclosure (series pulse).
with placed as (
    select p.*, b.boundary_basis, b.icb_code, b.mapping_version
    from {{ ref('int_pulse__org_yearly') }} as p
    inner join {{ ref('int_survey__org_boundaries') }} as b
        on b.org_code = p.org_code and b.survey_year = p.pulse_year
),

ics_years as (
    select
        icb_code,
        boundary_basis,
        pulse_year,
        max(mapping_version) as mapping_version,
        count(distinct org_code) as n_orgs,
        sum(pulse_n_responses) as pulse_n_responses,
        sum(pulse_n_teams) as pulse_n_teams,
        (sum(pulse_score_sum) / sum(pulse_n_responses) - 1) / 6 * 10 as pulse_psi_score
    from placed
    group by icb_code, boundary_basis, pulse_year
),

names as (
    {{ ics_names() }}
),

final as (
    select
        i.icb_code,
        n.icb_name,
        n.region_code,
        i.pulse_year,
        i.boundary_basis,
        i.mapping_version,
        i.n_orgs,
        d.suppressed,
        d.suppression_reason,
        case when not d.suppressed then i.pulse_n_responses end as pulse_n_responses,
        case when not d.suppressed then i.pulse_n_teams end as pulse_n_teams,
        case when not d.suppressed then i.pulse_psi_score end as pulse_psi_score
    from ics_years as i
    inner join {{ ref('int_survey__disclosure') }} as d
        on d.cell_level = 'ics' and d.series = 'pulse' and d.icb_code = i.icb_code
        and d.boundary_basis = i.boundary_basis and d.survey_year = i.pulse_year
    left join names as n on n.icb_code = i.icb_code
)

{{ select_contract_columns('final') }}
