-- Every dated statement of which ICB an organisation was in, from two kinds of source:
--   ods_snapshot: the ICB in each ODS snapshot. Organisations in a national grouping outside NHS England's
--                 regions (W00 Wales) are outside any ICS. A blank ICB field says nothing and is left out.
--   publisher:    the ICB code NHS England Digital gave the organisation each month (sickness absence, else
--                 turnover).
with ods as (
    select
        org_code,
        snapshot_date as evidence_date,
        case
            when region_code is not null and region_code not like 'Y%' then '{{ var("outside_ics_code") }}'
            else icb_code
        end as icb_code,
        region_code,
        close_date is null or close_date >= snapshot_date as is_open
    from {{ ref('stg_reference__ods_snapshots') }}
),

publisher_rows as (
    select
        org_code,
        period_month,
        published_icb_code,
        region_code,
        1 as preference
    from {{ ref('stg_sickness__org_monthly') }}
    union all
    select
        org_code,
        period_month,
        published_icb_code,
        null as region_code,
        2 as preference
    from {{ ref('stg_turnover__org_monthly') }}
),

publisher as (
    -- one code per organisation-month; where publications disagree, the preferred one wins
    select
        org_code,
        period_month as evidence_date,
        arg_min(published_icb_code, preference) as icb_code,
        arg_min(region_code, preference) as region_code
    from publisher_rows
    where published_icb_code is not null
    group by org_code, period_month
)

select org_code, evidence_date, icb_code, region_code, is_open, 'ods_snapshot' as source
from ods
where icb_code is not null
union all
select org_code, evidence_date, icb_code, region_code, true as is_open, 'publisher' as source
from publisher
