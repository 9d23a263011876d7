-- Disclosure control of organisation survey cells (Staff Survey and pulse, organisation x year): a cell
-- with fewer than min_respondents responses is withheld, and where it is the only one withheld in its ICS
-- (on either boundary basis) the next-smallest organisation of that ICS is withheld too.
-- Organisations outside any ICS have no parent total to protect (int_survey__org_boundaries has no row).
with cells as (
    select 'staff_survey' as series, org_code, survey_year, n_respondents as n_responses
    from {{ ref('int_survey__org_yearly') }}
    union all
    select 'pulse' as series, org_code, pulse_year as survey_year, pulse_n_responses as n_responses
    from {{ ref('int_pulse__org_yearly') }}
),

with_parents as (
    select c.*, b.boundary_basis, b.icb_code
    from cells as c
    left join {{ ref('int_survey__org_boundaries') }} as b using (org_code, survey_year)
),

protected as (
    {{ disclosure_control(
        cells='with_parents',
        cell_columns=['series', 'org_code', 'survey_year'],
        parent_key="case when icb_code is not null then concat_ws('|', series, boundary_basis, icb_code, survey_year) end",
        size_column='n_responses',
        primary_column='n_responses < ' ~ var('min_respondents')) }}
)

select
    p.series,
    p.org_code,
    p.survey_year,
    c.n_responses,
    p.primary_withheld,
    p.complementary_withheld,
    p.suppressed,
    case
        when p.primary_withheld then 'fewer than {{ var("min_respondents") }} responses'
        when p.complementary_withheld then 'complementary: protects a withheld organisation in the same ICS'
    end as suppression_reason
from protected as p
inner join cells as c using (series, org_code, survey_year)
