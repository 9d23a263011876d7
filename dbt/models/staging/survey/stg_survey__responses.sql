with source as (
    select * from {{ source('raw', 'survey_responses') }}
),

crosswalk as (
    select * from {{ ref('survey_question_crosswalk') }}
),

-- raw keeps one row per respondent with the answered questions in a list; staging has one row per answer
answers as (
    select
        survey_year,
        org_code,
        respondent_id,
        occupation_group,
        weight,
        unnest(answers, recursive := true)
    from source
),

renamed as (
    -- questions outside the crosswalk stay in raw only
    select
        answers.survey_year,
        answers.org_code,
        answers.respondent_id as respondent_pid,
        answers.occupation_group,
        answers.weight,
        crosswalk.item_key,
        answers.question_code,
        answers.answer_code
    from answers
    inner join crosswalk
        on crosswalk.survey_year = answers.survey_year
        and crosswalk.question_code = answers.question_code
)

select * from renamed
