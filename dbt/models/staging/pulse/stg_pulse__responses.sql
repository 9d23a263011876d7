with source as (
    select * from {{ source('raw', 'pulse_responses') }}
),

renamed as (
    select
        response_id as response_pid,
        org_code,
        team_id,
        submitted_at,
        ps1,
        ps2,
        ps3,
        ps4,
        ps5,
        ps6,
        ps7
    from source
)

select * from renamed
