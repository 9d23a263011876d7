-- Per organisation, survey year and item: the base (respondents answering) and the positive count, from
-- which every published percentage is a ratio of sums (METRICS.md: positive = pct x base / 100).
-- Respondent-level results are used for the organisation-years they cover (weighted as int_survey__respondents
-- says, the weighted share applied to the unweighted base so sums stay in respondents); the published
-- organisation results fill the rest. "Positive" is the item's published option set: Agree/Strongly agree
-- for raising concerns, Often/Always for burnout, Yes for work-related stress.
with respondent_answers as (
    select
        r.survey_year,
        r.org_code,
        r.item_key,
        w.analysis_weight,
        list_contains(string_split(c.positive_options, '|'), r.answer_code::varchar) as is_positive
    from {{ ref('stg_survey__responses') }} as r
    inner join {{ ref('survey_question_crosswalk') }} as c
        on c.item_key = r.item_key and c.survey_year = r.survey_year
    inner join {{ ref('int_survey__respondents') }} as w
        on w.survey_year = r.survey_year and w.org_code = r.org_code and w.respondent_pid = r.respondent_pid
    where r.answer_code between 1 and case c.scale when 'yes_no' then 2 else 5 end
),

respondent_level as (
    select
        survey_year,
        org_code,
        item_key,
        count(*) as base,
        count(*) * sum(analysis_weight * is_positive::int) / sum(analysis_weight) as positive,
        'respondent_level' as source_route
    from respondent_answers
    group by survey_year, org_code, item_key
),

published as (
    select
        survey_year,
        org_code,
        item_key,
        base,
        value * base / 100 as positive,
        'published' as source_route
    from {{ ref('stg_survey__org_results') }}
    where measure in ('pct_positive', 'pct_often_always', 'pct_yes')
        and value is not null and base > 0
)

{{ route_precedence('respondent_level', 'published', ['survey_year', 'org_code']) }}
