with source as (
    select * from {{ source('raw', 'absence_episodes') }}
),

renamed as (
    select
        employee_id as employee_pid,
        assignment_id as assignment_pid,
        org_code,
        absence_start,
        absence_end,
        fte,
        reason_code,
        extract_date
    from source
),

-- an episode appears again in every later extract (with its end date once it closes): the latest one wins
latest_extract as (
    select *
    from renamed
    qualify row_number() over (
        partition by employee_pid, assignment_pid, absence_start order by extract_date desc
    ) = 1
)

select * from latest_extract
