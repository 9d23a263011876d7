with source as (
    select * from {{ source('raw', 'leavers') }}
),

renamed as (
    select
        employee_id as employee_pid,
        org_code,
        staff_group,
        leave_date,
        date_trunc('month', leave_date)::date as period_month,
        leaving_reason,
        destination
    from source
)

select * from renamed
