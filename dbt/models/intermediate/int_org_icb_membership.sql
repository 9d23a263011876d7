-- Which ICB each organisation belonged to, as validity intervals [valid_from, valid_to), and the ICB it maps to
-- on today's boundaries.
-- ODS snapshots are the authority from an organisation's first snapshot on: a change is dated at the first
-- snapshot that shows it. The publishers' monthly codes fill in organisations in no ODS snapshot (ICBs, CSUs)
-- and the months before an organisation's first snapshot. The earliest membership is taken to hold since the
-- organisation opened; the last one ends the day after its ODS close date.
with evidence as (
    select * from {{ ref('int_org_icb_evidence') }}
),

first_snapshot as (
    select org_code, min(evidence_date) as first_snapshot_date
    from evidence
    where source = 'ods_snapshot'
    group by org_code
),

-- `flagged` reads it, but the dialect cannot parse `flagged` (is distinct from over a window)
used as (  -- noqa: ST03
    select e.*
    from evidence as e
    left join first_snapshot as f on f.org_code = e.org_code
    where e.source = 'ods_snapshot' or f.first_snapshot_date is null or e.evidence_date < f.first_snapshot_date
),

flagged as (
    select
        *,
        icb_code is distinct from lag(icb_code) over (partition by org_code order by evidence_date)
            as starts_island  -- noqa: AL05
    from used
),

islands as (
    select *, sum(starts_island::int) over (partition by org_code order by evidence_date) as island
    from flagged
),

intervals as (
    select
        org_code,
        icb_code,
        island,
        min(evidence_date) as first_evidence,
        case when bool_or(source = 'ods_snapshot') then 'ods_snapshot' else 'publisher' end as membership_source
    from islands
    group by org_code, icb_code, island
),

ods_dates as (
    -- opening and closing as the organisation's newest ODS snapshot has them
    select org_code, open_date, close_date
    from {{ ref('stg_reference__ods_snapshots') }}
    qualify row_number() over (partition by org_code order by snapshot_date desc) = 1
),

bounded as (
    select
        i.org_code,
        i.icb_code,
        i.membership_source,
        case when i.island = 1 then least(i.first_evidence, coalesce(d.open_date, i.first_evidence))
            else i.first_evidence end as valid_from,
        lead(i.first_evidence) over (partition by i.org_code order by i.island) as next_valid_from,
        i.island = max(i.island) over (partition by i.org_code) as is_latest_membership,
        d.close_date
    from intervals as i
    left join ods_dates as d on d.org_code = i.org_code
),

lifecycle as (
    select * from {{ ref('int_icb_lifecycle') }}
),

latest as (
    -- each organisation's latest membership and where its ICB stands today
    select
        b.org_code,
        b.icb_code,
        case when b.icb_code = '{{ var("outside_ics_code") }}' then b.icb_code else l.current_icb_code end
            as current_icb_code,
        l.ended_on is not null as icb_ended
    from bounded as b
    left join lifecycle as l on l.icb_code = b.icb_code
    where b.is_latest_membership
),

today as (
    -- an organisation whose last ICB was split or abolished goes where its successor organisation is today
    select
        latest.org_code,
        coalesce(latest.current_icb_code, successor_latest.current_icb_code) as current_icb_code,
        case
            when latest.current_icb_code is not null and latest.icb_ended then 'successor_icb'
            when latest.current_icb_code is not null then 'latest_membership'
            when successor_latest.current_icb_code is not null then 'successor_organisation'
        end as current_icb_basis
    from latest
    left join {{ ref('int_org_successions') }} as s on s.org_code = latest.org_code
    left join latest as successor_latest on successor_latest.org_code = s.successor_org_code
),

mapping as (
    -- the reference data the intervals stand on: the ODS snapshots, else the publisher months; the newest is the
    -- mapping of today's boundaries, and a fact dated d was placed by the newest one on or before d
    select
        coalesce(max(evidence_date) filter (where source = 'ods_snapshot'), max(evidence_date)) as mapping_version,
        coalesce(
            list_sort(list_distinct(list(evidence_date) filter (where source = 'ods_snapshot'))),
            list_sort(list_distinct(list(evidence_date)))
        ) as snapshot_dates
    from evidence
)

select
    b.org_code,
    b.icb_code,
    b.valid_from,
    coalesce(b.next_valid_from, case when b.close_date >= b.valid_from then b.close_date + 1 end) as valid_to,
    b.membership_source,
    b.is_latest_membership,
    t.current_icb_code,
    t.current_icb_basis,
    mapping.mapping_version,
    mapping.snapshot_dates
from bounded as b
inner join today as t on t.org_code = b.org_code
cross join mapping
