-- Disclosure control of every published survey cell (Staff Survey and pulse, METRICS.md): organisation x year
-- and ICS x year on each boundary basis. A cell with fewer than min_respondents responses is withheld, at every
-- level. The published additive relations (respondent counts and positives add up) are: an ICS (each basis) =
-- the sum of its member organisations, and, where an ICS-year exists on both bases, the difference of its two
-- totals = the organisations on one basis only. disclosure_control withholds complements until no relation has
-- exactly one withheld cell. Organisations outside any ICS have no total that holds them.
with org_cells as (
    select 'staff_survey' as series, org_code, survey_year, n_respondents as n_responses
    from {{ ref('int_survey__org_yearly') }}
    union all
    select 'pulse' as series, org_code, pulse_year as survey_year, pulse_n_responses as n_responses
    from {{ ref('int_pulse__org_yearly') }}
),

placed as (
    select c.series, c.org_code, c.survey_year, b.boundary_basis, b.icb_code
    from org_cells as c
    inner join {{ ref('int_survey__org_boundaries') }} as b using (org_code, survey_year)
),

ics_cells as (
    select series, icb_code, boundary_basis, survey_year, sum(n_responses) as n_responses
    from placed
    inner join org_cells using (series, org_code, survey_year)
    group by series, icb_code, boundary_basis, survey_year
),

all_cells as (
    select
        'organisation' as cell_level, series, org_code, null::varchar as icb_code, null::varchar as boundary_basis,
        survey_year, n_responses, concat_ws('|', series, 'org', org_code, survey_year) as cell_id
    from org_cells
    union all
    select
        'ics', series, null, icb_code, boundary_basis,
        survey_year, n_responses, concat_ws('|', series, 'ics', boundary_basis, icb_code, survey_year)
    from ics_cells
),

cells as (
    select cell_id, n_responses as cell_size, n_responses < {{ var('min_respondents') }} as is_primary
    from all_cells
),

moved as (
    select p.series, p.icb_code, p.survey_year, p.org_code
    from placed as p
    anti join placed as o
        on o.series = p.series and o.org_code = p.org_code and o.survey_year = p.survey_year
        and o.icb_code = p.icb_code and o.boundary_basis <> p.boundary_basis
),

both_bases as (
    select series, icb_code, survey_year from ics_cells group by all having count(*) = 2
),

relations as (
    select
        concat_ws('|', series, 'ics', boundary_basis, icb_code, survey_year) as relation_id,
        concat_ws('|', series, 'org', org_code, survey_year) as cell_id,
        false as is_total
    from placed
    union all
    select cell_id, cell_id, true from all_cells where cell_level = 'ics'
    union all
    select concat_ws('|', series, 'basis_difference', icb_code, survey_year), concat_ws('|', series, 'org', org_code, survey_year), false
    from moved
    semi join both_bases using (series, icb_code, survey_year)
    union all
    select concat_ws('|', series, 'basis_difference', icb_code, survey_year), cell_id, true
    from all_cells
    semi join both_bases using (series, icb_code, survey_year)
    where cell_level = 'ics'
),

protected as (
    {{ disclosure_control(cells='cells', relations='relations') }}
)

select
    a.cell_level,
    a.series,
    a.org_code,
    a.icb_code,
    a.boundary_basis,
    a.survey_year,
    a.n_responses,
    p.primary_withheld,
    p.complementary_withheld,
    p.suppressed,
    p.in_exposed_relation,
    case
        when p.primary_withheld then 'fewer than {{ var("min_respondents") }} responses'
        when p.complementary_withheld then 'complementary: protects a withheld cell of the same total'
    end as suppression_reason
from all_cells as a
inner join protected as p using (cell_id)
