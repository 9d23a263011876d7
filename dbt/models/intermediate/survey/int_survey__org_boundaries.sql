-- The ICS of every organisation-year with survey results (Staff Survey or pulse), on both boundary bases.
-- Organisations in the published Staff Survey results are placed by int_survey__org_icb (which knows 2021 CCG
-- codes, trust sectors and published ICS names); the others (respondent-level and pulse extracts, keyed by ODS
-- code) through with_boundary_bases at fieldwork (October of the year). Organisations outside any ICS (QZZ,
-- or unplaced) have no row: they are left out of ICS roll-ups.
with org_years as (
    select org_code, survey_year from {{ ref('int_survey__org_yearly') }}
    union
    select org_code, pulse_year as survey_year from {{ ref('int_pulse__org_yearly') }}
),

dated as (
    select *, make_date(survey_year, {{ var('survey_fieldwork_month') }}, 1) as fieldwork_date
    from org_years
),

published_placement as (
    select survey_year, org_code, boundary_basis, icb_code, mapping_version
    from {{ ref('int_survey__org_icb') }}
),

by_membership as (
    select m.survey_year, m.org_code, m.boundary_basis, m.icb_code, m.mapping_version
    from ({{ with_boundary_bases('dated', 'fieldwork_date') }}) as m
    anti join (select distinct survey_year, org_code from published_placement) as p
        on p.survey_year = m.survey_year and p.org_code = m.org_code
)

select o.org_code, o.survey_year, b.boundary_basis, b.icb_code, b.mapping_version
from org_years as o
inner join (
    select * from published_placement
    union all
    select * from by_membership
) as b
    on b.survey_year = o.survey_year and b.org_code = o.org_code
where b.icb_code is not null and b.icb_code <> '{{ var("outside_ics_code") }}'
