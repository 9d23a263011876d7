with source as (
    select * from {{ source('raw', 'survey_responses') }}
),

crosswalk as (
    select * from {{ ref('survey_question_crosswalk') }}
),

renamed as (
    -- questions outside the crosswalk stay in raw only
    select
        source.survey_year,
        source.org_code,
        {{ pseudonym_key('source.respondent_id') }} as respondent_pid,
        source.occupation_group,
        source.weight,
        crosswalk.item_key,
        source.question_code,
        source.answer_code
    from source
    inner join crosswalk
        on crosswalk.survey_year = source.survey_year
        and crosswalk.question_code = source.question_code
)

select * from renamed
