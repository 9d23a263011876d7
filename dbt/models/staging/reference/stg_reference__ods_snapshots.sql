with source as (
    select * from {{ source('raw', 'ods_organisations') }}
),

renamed as (
    select
        snapshot_date,
        snapshot_date_source,
        upper(org_code) as org_code,
        org_name,
        upper(region_code) as region_code,
        upper(icb_code) as icb_code,
        open_date,
        close_date
    from source
)

select * from renamed
