-- Staff Survey measures per organisation and survey year, before disclosure control (METRICS.md, survey).
-- Scores: respondent-level organisations get weighted means of respondent scores; published organisations
-- get their published sub-score (0-10), weighted by its base when rolled up. Percentages: mean over the
-- items present of 100 x positive / base (int_survey__org_items). The *_weight columns are what ICS roll-ups
-- weight each organisation's score by.
with respondent_level as (
    select
        survey_year,
        org_code,
        'respondent_level' as source_route,
        any_value(weighting) as weighting,
        count(*) as n_respondents,
        sum(analysis_weight) filter (where psi_score is not null) as psi_score_weight,
        sum(analysis_weight * psi_score) / sum(analysis_weight) filter (where psi_score is not null) as psi_score,
        count(cbi_score) as n_cbi_scored,
        sum(analysis_weight) filter (where cbi_score is not null) as cbi_score_weight,
        sum(analysis_weight * cbi_score) / sum(analysis_weight) filter (where cbi_score is not null) as cbi_score,
        sum(analysis_weight) filter (where cbi_score >= {{ var('high_burnout_cbi_threshold') }}) as high_burnout_weight
    from {{ ref('int_survey__respondents') }}
    group by survey_year, org_code
),

published_bases as (
    select survey_year, org_code, max(base) as n_respondents,
        max(base) filter (where item_key in {{ survey_items('psi') }}) as psi_base,
        max(base) filter (where item_key in {{ survey_items('burnout') }}) as burnout_base
    from {{ ref('stg_survey__org_results') }}
    group by survey_year, org_code
),

published_scores as (
    select
        survey_year,
        org_code,
        any_value(value) filter (where item_key = '{{ var("psi_sub_score_item_key") }}') as psi_score,
        any_value(base) filter (where item_key = '{{ var("psi_sub_score_item_key") }}') as psi_score_base,
        any_value(value) filter (where item_key = '{{ var("burnout_sub_score_item_key") }}') as burnout_score,
        any_value(base) filter (where item_key = '{{ var("burnout_sub_score_item_key") }}') as burnout_score_base
    from {{ ref('stg_survey__org_results') }}
    where measure = 'sub_score'
    group by survey_year, org_code
),

published as (
    select
        b.survey_year,
        b.org_code,
        'published' as source_route,
        'published' as weighting,
        b.n_respondents,
        case when s.psi_score is not null then coalesce(s.psi_score_base, b.psi_base, b.n_respondents) end
            as psi_score_weight,
        s.psi_score,
        case when s.burnout_score is not null then coalesce(s.burnout_score_base, b.burnout_base, b.n_respondents) end
            as burnout_score_weight,
        s.burnout_score
    from published_bases as b
    left join published_scores as s using (survey_year, org_code)
    anti join respondent_level using (survey_year, org_code)
),

items as (
    select
        survey_year,
        org_code,
        {{ survey_item_measure_columns() }},
        {{ survey_item_basis_columns() }}
    from {{ ref('int_survey__org_items') }}
    group by survey_year, org_code
),

scores as (
    select
        survey_year, org_code, source_route, weighting, n_respondents,
        psi_score_weight, psi_score,
        cbi_score_weight as burnout_score_weight,
        (100 - cbi_score) / 10 as burnout_score,
        n_cbi_scored, cbi_score_weight, cbi_score, high_burnout_weight
    from respondent_level
    union all by name
    select * from published
)

select
    s.survey_year,
    s.org_code,
    s.source_route,
    s.weighting,
    s.n_respondents,
    s.psi_score_weight,
    s.psi_score,
    i.psi_pct_positive,
    i.psi_base,
    i.psi_pct_positive_basis,
    s.n_cbi_scored,
    s.cbi_score_weight,
    s.cbi_score,
    s.high_burnout_weight,
    100 * coalesce(s.high_burnout_weight, 0) / s.cbi_score_weight as pct_high_burnout,
    s.burnout_score_weight,
    s.burnout_score,
    i.burnout_pct_often_always,
    i.burnout_base,
    i.burnout_pct_often_always_basis,
    i.pct_unwell_stress,
    i.stress_base,
    i.pct_unwell_stress_basis
from scores as s
left join items as i using (survey_year, org_code)
