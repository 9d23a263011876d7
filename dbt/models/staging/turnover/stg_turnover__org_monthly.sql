with source as (
    select * from {{ source('raw', 'turnover_benchmarking') }}
),

renamed as (
    select
        -- PERIOD "202509 to 202510" is the flow during the second month
        strptime(split_part(period, ' to ', 2), '%Y%m')::date as period_month,
        reporting_org_code as org_code,
        reporting_org_name as org_name,
        ics_code as published_icb_code,
        ics_name as published_icb_name,
        staff_group_1_name as staff_group,
        type,
        hc,
        fte
    from source
),

pivoted as (
    -- the publication leaves out zero rows: a missing Joiners or Leavers row is 0, a missing denominator unknown
    select
        period_month,
        org_code,
        max(org_name) as org_name,
        max(published_icb_code) as published_icb_code,
        max(published_icb_name) as published_icb_name,
        staff_group,
        max(hc) filter (where type = 'Denominator at start of period') as sip_start_hc,
        max(hc) filter (where type = 'Denominator at end of period') as sip_end_hc,
        coalesce(max(hc) filter (where type = 'Joiners'), 0) as joiners_hc,
        coalesce(max(hc) filter (where type = 'Leavers'), 0) as leavers_hc,
        max(fte) filter (where type = 'Denominator at start of period') as sip_start_fte,
        max(fte) filter (where type = 'Denominator at end of period') as sip_end_fte,
        coalesce(max(fte) filter (where type = 'Joiners'), 0) as joiners_fte,
        coalesce(max(fte) filter (where type = 'Leavers'), 0) as leavers_fte
    from renamed
    group by period_month, org_code, staff_group
)

select * from pivoted
