-- Which ICB each organisation belonged to, as validity intervals [valid_from, valid_to).
-- Built from the ICB code the publisher gave each organisation-month.
with observed as (
    select distinct org_code, published_icb_code as icb_code, period_month
    from {{ ref('stg_sickness__org_monthly') }}
),

flagged as (
    select
        *,
        icb_code is distinct from lag(icb_code) over (partition by org_code order by period_month) as starts_island
    from observed
),

islands as (
    select *, sum(starts_island::int) over (partition by org_code order by period_month) as island
    from flagged
),

intervals as (
    select org_code, icb_code, min(period_month) as valid_from
    from islands
    group by org_code, icb_code, island
)

select
    org_code,
    icb_code,
    valid_from,
    lead(valid_from) over (partition by org_code order by valid_from) as valid_to,
    (select max(period_month) from observed) as mapping_version
from intervals
