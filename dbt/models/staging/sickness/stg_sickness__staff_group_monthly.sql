with source as (
    select * from {{ source('raw', 'sickness_staff_group') }}
),

renamed as (
    select
        date_trunc('month', "date")::date as period_month,
        org_code,
        staff_group,
        fte_days_lost,
        fte_days_available
    from source
)

select * from renamed
