with source as (
    select * from {{ source('raw', 'staff_in_post') }}
),

renamed as (
    select
        employee_id as employee_pid,
        assignment_id as assignment_pid,
        org_code,
        staff_group,
        occupation_code,
        fte,
        month_end,
        date_trunc('month', month_end)::date as period_month,
        start_date,
        age_band
    from source
)

select * from renamed
