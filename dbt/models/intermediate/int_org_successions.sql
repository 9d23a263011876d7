-- Organisations that closed, and the organisation that took them over where the data show it (the ODS extracts
-- loaded here carry no succession field):
--   opened_next_day: exactly one organisation in the same ICB opened the day after the closure (a merger into
--                    a new organisation);
--   absorbed_staff:  otherwise the organisation in the same ICB whose staff (FTE = the sickness publication's
--                    FTE days available / days in the month) grew most from the closure month to the next, if
--                    by at least half the closed organisation's FTE (an acquisition: the staff transferred).
-- A closed organisation with neither has a null successor.
with newest_snapshot as (
    select *
    from {{ ref('stg_reference__ods_snapshots') }}
    qualify row_number() over (partition by org_code order by snapshot_date desc) = 1
),

closed as (
    select org_code, close_date, icb_code
    from newest_snapshot
    where close_date is not null
),

opened_next_day as (
    select c.org_code, min(o.org_code) as successor_org_code
    from closed as c
    inner join newest_snapshot as o
        on o.open_date = c.close_date + 1 and o.icb_code = c.icb_code and o.org_code <> c.org_code
    group by c.org_code
    having count(*) = 1
),

fte as (
    select
        org_code,
        period_month,
        published_icb_code,
        fte_days_available / extract(day from last_day(period_month)) as fte
    from {{ ref('stg_sickness__org_monthly') }}
),

staff_gains as (
    select
        c.org_code,
        other.org_code as candidate_org_code,
        other_next.fte - other.fte as fte_gained,
        gone.fte as closed_fte
    from closed as c
    inner join fte as gone
        on gone.org_code = c.org_code and gone.period_month = date_trunc('month', c.close_date)
    inner join fte as other
        on other.period_month = gone.period_month
        and other.published_icb_code = gone.published_icb_code
        and other.org_code <> c.org_code
    inner join fte as other_next
        on other_next.org_code = other.org_code
        and other_next.period_month = gone.period_month + interval 1 month
),

absorbed_staff as (
    select org_code, arg_max(candidate_org_code, fte_gained) as successor_org_code
    from staff_gains
    where fte_gained >= 0.5 * closed_fte
    group by org_code
)

select
    c.org_code,
    c.close_date,
    coalesce(n.successor_org_code, a.successor_org_code) as successor_org_code,
    case
        when n.successor_org_code is not null then 'opened_next_day'
        when a.successor_org_code is not null then 'absorbed_staff'
    end as successor_basis
from closed as c
left join opened_next_day as n on n.org_code = c.org_code
left join absorbed_staff as a on a.org_code = c.org_code
