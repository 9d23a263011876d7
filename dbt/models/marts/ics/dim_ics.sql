-- Integrated Care Systems keyed by their ICB's ODS code, one row per code and validity interval: the seed's ICBs
-- (an ONS re-coding is a second row under the same ODS code) plus ICB codes the seed does not know, first seen
-- in ODS snapshots or publishers' files. Ends and successors the seed does not state are inferred from which
-- organisations moved (int_icb_lifecycle), so a new ICB needs no seed change.
with seed as (
    select
        *,
        row_number() over (partition by icb_code order by valid_from desc) = 1 as is_newest_row
    from {{ ref('ref_icb') }}
),

lifecycle as (
    select * from {{ ref('int_icb_lifecycle') }}
),

region_names as (
    select region_code, any_value(region_name) as region_name
    from (
        select region_code, region_name from {{ ref('ref_icb') }}
        union all
        select region_code, region_name from {{ ref('stg_sickness__org_monthly') }} where region_name is not null
    )
    group by region_code
)

select
    s.icb_code,
    s.icb_ons_code,
    s.icb_name,
    s.icb_long_name,
    s.region_code,
    s.region_name,
    s.valid_from,
    case when s.is_newest_row and s.valid_to is null then l.ended_on - 1 else s.valid_to end as valid_to,
    case when s.is_newest_row and s.valid_to is null then l.successor_icb_code else s.successor_icb_code end
        as successor_icb_code,
    case when s.is_newest_row then l.split_into_icb_codes end as split_into_icb_codes,
    l.current_icb_code,
    'seed' as known_from
from seed as s
inner join lifecycle as l on l.icb_code = s.icb_code

union all

select
    l.icb_code,
    null as icb_ons_code,
    l.published_icb_name as icb_name,
    null as icb_long_name,
    l.observed_region_code as region_code,
    r.region_name,
    l.first_seen as valid_from,
    l.ended_on - 1 as valid_to,
    l.successor_icb_code,
    l.split_into_icb_codes,
    l.current_icb_code,
    l.known_from
from lifecycle as l
left join region_names as r on r.region_code = l.observed_region_code
where l.known_from <> 'seed'
