-- Every ICB code the pipeline knows (the seed ref_icb, ODS snapshots, publishers' files): when it was first seen,
-- when it ended, what replaced it, and the ICB it maps to today.
-- An ICB ends when no later ODS snapshot shows an open organisation in it, the organisations it held reappear in a
-- later snapshot under other codes, and no publisher uses its code from then on. The end is the first such later
-- snapshot; the codes its organisations moved to are its successors: one when it merged or was re-coded, several
-- when it was split (then it has no single successor, and each organisation's own membership decides).
with recursive

seed as (
    select * from {{ ref('ref_icb') }}
),

evidence as (
    select * from {{ ref('int_org_icb_evidence') }}
    where icb_code <> '{{ var("outside_ics_code") }}'
),

open_in_snapshot as (
    select org_code, evidence_date as snapshot_date, icb_code
    from evidence
    where source = 'ods_snapshot' and is_open
),

last_snapshot as (
    select icb_code, max(snapshot_date) as last_snapshot_date
    from open_in_snapshot
    group by icb_code
),

next_appearance as (
    -- each organisation an ICB held in its last snapshot, and the next snapshot that shows that organisation
    select l.icb_code, held.org_code, min(later.snapshot_date) as next_snapshot_date
    from last_snapshot as l
    inner join open_in_snapshot as held
        on held.icb_code = l.icb_code and held.snapshot_date = l.last_snapshot_date
    inner join open_in_snapshot as later
        on later.org_code = held.org_code and later.snapshot_date > l.last_snapshot_date
    group by l.icb_code, held.org_code
),

moves as (
    select n.icb_code, n.next_snapshot_date, moved.icb_code as successor_icb_code
    from next_appearance as n
    inner join open_in_snapshot as moved
        on moved.org_code = n.org_code and moved.snapshot_date = n.next_snapshot_date
),

candidate_ends as (
    select
        icb_code,
        min(next_snapshot_date) as ended_on,
        case when count(distinct successor_icb_code) = 1 then min(successor_icb_code) end as successor_icb_code,
        case when count(distinct successor_icb_code) > 1
            then string_agg(distinct successor_icb_code, '|' order by successor_icb_code) end
            as split_into_icb_codes
    from moves
    group by icb_code
),

inferred_ends as (
    -- a publisher still using the code from then on means the ICB did not end (the extract was partial)
    select * from candidate_ends as c
    where not exists (
        select 1 from evidence as p
        where p.source = 'publisher' and p.icb_code = c.icb_code and p.evidence_date >= c.ended_on
    )
),

seed_ends as (
    -- ends the seed states: its latest row per ICB closed (valid_to is the last day, inclusive)
    select icb_code, valid_to + 1 as ended_on, successor_icb_code, null::varchar as split_into_icb_codes
    from seed
    qualify row_number() over (partition by icb_code order by valid_from desc) = 1 and valid_to is not null
),

ends as (
    select * from seed_ends
    union all
    select * from inferred_ends
    where icb_code not in (select icb_code from seed_ends)
),

codes as (
    select
        icb_code,
        min(first_seen) as first_seen,
        min(known_from) as known_from
    from (
        select icb_code, valid_from as first_seen, '1_seed' as known_from from seed
        union all
        select icb_code, evidence_date, case source when 'ods_snapshot' then '2_ods_snapshot' else '3_publisher' end
        from evidence
    ) as sightings
    group by icb_code
),

chain as (
    -- follow single successors to the ICB in force today
    select icb_code, icb_code as reached, 0 as steps
    from codes
    union all
    select chain.icb_code, ends.successor_icb_code, chain.steps + 1
    from chain
    inner join ends on ends.icb_code = chain.reached
    where ends.successor_icb_code is not null and chain.steps < 20
),

today as (
    select icb_code, arg_max(reached, steps) as reached
    from chain
    group by icb_code
),

published_names as (
    select published_icb_code as icb_code, arg_max(published_icb_name, period_month) as published_icb_name
    from (
        select published_icb_code, published_icb_name, period_month from {{ ref('stg_sickness__org_monthly') }}
        union all
        select published_icb_code, published_icb_name, period_month from {{ ref('stg_turnover__org_monthly') }}
    )
    where published_icb_name is not null
    group by published_icb_code
),

regions as (
    -- for codes the seed does not know: the region most of their organisations are in
    select icb_code, mode(region_code) as region_code
    from evidence
    where region_code is not null
    group by icb_code
)

select
    c.icb_code,
    c.first_seen,
    substr(c.known_from, 3) as known_from,
    e.ended_on,
    e.successor_icb_code,
    e.split_into_icb_codes,
    case when reached_end.icb_code is null then t.reached end as current_icb_code,
    n.published_icb_name,
    r.region_code as observed_region_code
from codes as c
left join ends as e on e.icb_code = c.icb_code
inner join today as t on t.icb_code = c.icb_code
left join ends as reached_end on reached_end.icb_code = t.reached
left join published_names as n on n.icb_code = c.icb_code
left join regions as r on r.icb_code = c.icb_code
