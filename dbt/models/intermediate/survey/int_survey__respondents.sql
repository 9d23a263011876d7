-- One row per Staff Survey respondent with their scores (METRICS.md, survey):
--   psi_score (0-10): mean of the raising-concerns items answered (Strongly disagree 0, Disagree 2.5,
--     Neither 5, Agree 7.5, Strongly agree 10), given only when at least psi_min_items of 4 are answered;
--   cbi_score (0-100): mean of the burnout items answered (Never 0, Rarely 25, Sometimes 50, Often 75,
--     Always 100), given only when at least cbi_min_items of 7 are answered;
--   unwell_stress: q11c answered Yes (null when not answered).
-- analysis_weight is the survey weight when every respondent of the organisation-year has one, else 1:
-- an organisation's results are either all weighted or all unweighted, and `weighting` says which.
with answers as (
    select
        r.survey_year,
        r.org_code,
        r.respondent_pid,
        r.occupation_group,
        r.weight,
        r.item_key,
        r.answer_code,
        c.scale
    from {{ ref('stg_survey__responses') }} as r
    inner join {{ ref('survey_question_crosswalk') }} as c
        on c.item_key = r.item_key and c.survey_year = r.survey_year
    -- codes outside the scale (e.g. "don't know") are not answers to score
    where r.answer_code between 1 and case c.scale when 'yes_no' then 2 else 5 end
),

respondents as (
    select
        survey_year,
        org_code,
        respondent_pid,
        any_value(occupation_group) as occupation_group,
        any_value(weight) as weight,
        count(*) filter (where item_key in {{ survey_items('psi') }}) as psi_items_answered,
        avg((answer_code - 1) * 2.5) filter (where item_key in {{ survey_items('psi') }}) as psi_item_mean,
        count(*) filter (where item_key in {{ survey_items('burnout') }}) as cbi_items_answered,
        avg((answer_code - 1) * 25.0) filter (where item_key in {{ survey_items('burnout') }}) as cbi_item_mean,
        bool_or(answer_code = 1) filter (where item_key in {{ survey_items('stress') }}) as unwell_stress
    from answers
    group by survey_year, org_code, respondent_pid
)

select
    survey_year,
    org_code,
    respondent_pid,
    occupation_group,
    weight,
    case when bool_and(weight is not null) over org_year then weight else 1.0 end as analysis_weight,
    case when bool_and(weight is not null) over org_year then 'weighted' else 'unweighted' end as weighting,
    psi_items_answered,
    case when psi_items_answered >= {{ var('psi_min_items') }} then psi_item_mean end as psi_score,
    cbi_items_answered,
    case when cbi_items_answered >= {{ var('cbi_min_items') }} then cbi_item_mean end as cbi_score,
    unwell_stress
from respondents
window org_year as (partition by survey_year, org_code)
