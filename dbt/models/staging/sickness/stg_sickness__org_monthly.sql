with source as (
    select * from {{ source('raw', 'sickness_org') }}
),

renamed as (
    select
        date_trunc('month', "date")::date as period_month,
        org_code,
        org_name,
        org_type,
        ics_code as published_icb_code,
        ics_name as published_icb_name,
        nhse_region_code as region_code,
        nhse_region_name as region_name,
        fte_days_lost,
        fte_days_available,
        sickness_absence_rate_percent as published_sickness_rate
    from source
)

select * from renamed
