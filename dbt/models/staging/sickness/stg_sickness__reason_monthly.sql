with source as (
    select * from {{ source('raw', 'sickness_reason') }}
),

renamed as (
    select
        date_trunc('month', "date")::date as period_month,
        org_code,
        reason as reason_code,
        fte_days_lost
    from source
)

select * from renamed
