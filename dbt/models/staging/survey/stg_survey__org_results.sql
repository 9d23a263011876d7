with long_form as (
    select
        survey_year,
        org_code,
        null::varchar as org_name,
        null::varchar as published_icb_name,
        question_code,
        measure,
        value,
        base
    from {{ source('raw', 'survey_org_results') }}
),

mapped as (
    select
        survey_year,
        org_code,
        org_name,
        published_icb_name,
        question_code,
        measure,
        value,
        base
    from {{ source('raw', 'survey_org_results_mapped') }}
),

source as (
    -- One route per organisation-year: the long-form results win; the column-mapped export fills only the
    -- organisation-years the long form lacks, so the same results loaded both ways are never counted twice.
    {{ route_precedence('long_form', 'mapped', ['survey_year', 'org_code']) }}
),

crosswalk as (
    select * from {{ ref('survey_question_crosswalk') }}
),

renamed as (
    -- items outside the crosswalk stay in raw only
    select
        source.survey_year,
        source.org_code,
        source.org_name,
        source.published_icb_name,
        crosswalk.item_key,
        source.question_code,
        source.measure,
        source.value,
        source.base
    from source
    inner join crosswalk
        on crosswalk.survey_year = source.survey_year
        and crosswalk.question_code = source.question_code
)

select * from renamed
