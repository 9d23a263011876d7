-- Record-level turnover per organisation-month (METRICS.md, turnover):
-- stability_index = staff in post at the start of the 12-month window still in post at its end, where
-- "start" is the month-end snapshot 12 months before period_month; and leavers by destination.
{%- set months = var('rolling_window_months') %}
-- each person's months in post at an organisation, grouped per person rather than per person and month: a
-- national build groups 2 M careers instead of deduplicating 50 M person-months and joining them to themselves
-- (13 s instead of 23 s)
-- Incremental by month: a month's stability reads staff in post of that month and of the month a window before.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_rebuilt_months('period_month') }}") }}
with careers as (
    select
        org_code,
        list_distinct(list(period_month)) as months
    from {{ ref('stg_workforce__staff_in_post') }}
    where {{ rebuilt_months_and_window_starts('period_month', months, ref('stg_workforce__staff_in_post')) }}
    group by org_code, employee_pid
),

months_in_post as (
    select
        org_code,
        -- unnested side by side: each month, and whether the person is in post a window later
        unnest(months) as period_month,
        unnest(list_transform(months, lambda m: list_contains(months, (m + interval {{ months }} month)::date)))
            as in_post_a_window_later
    from careers
),

by_month as (
    select
        org_code,
        period_month,
        count(*) as staff_in_post,
        count(*) filter (where in_post_a_window_later) as still_in_post_a_window_later
    from months_in_post
    group by org_code, period_month
),

stability as (
    select
        w.org_code,
        w.period_month,
        coalesce(s.staff_in_post, 0) as staff_at_window_start,
        coalesce(s.still_in_post_a_window_later, 0) as staff_still_in_post
    from by_month as w
    left join by_month as s
        on s.org_code = w.org_code and s.period_month = w.period_month - interval {{ months }} month
    where {{ rebuilt_months('w.period_month') }}
),

leavers as (
    select
        org_code,
        period_month,
        count(*) as leavers,
        count(*) filter (where nullif(trim(destination), '') is not null) as leavers_destination_known,
        count(*) filter (where nullif(trim(destination), '') is not null
            and destination not in ('{{ var("nhs_destinations") | join("', '") }}')) as leavers_leaving_nhs
    from {{ ref('stg_turnover__leavers') }}
    where {{ rebuilt_months('period_month') }}
    group by org_code, period_month
)

select
    coalesce(s.org_code, l.org_code) as org_code,
    coalesce(s.period_month, l.period_month) as period_month,
    nullif(s.staff_at_window_start, 0) as staff_at_window_start,
    case when s.staff_at_window_start > 0 then s.staff_still_in_post end as staff_still_in_post,
    -- a month with staff in post but no leaver rows had no leavers (the extracts cover the organisation)
    case when s.org_code is not null then coalesce(l.leavers, 0) else l.leavers end as record_level_leavers,
    case when s.org_code is not null then coalesce(l.leavers_destination_known, 0) else l.leavers_destination_known end
        as leavers_destination_known,
    case when s.org_code is not null then coalesce(l.leavers_leaving_nhs, 0) else l.leavers_leaving_nhs end
        as leavers_leaving_nhs
from stability as s
full join leavers as l
    on l.org_code = s.org_code and l.period_month = s.period_month
-- in a total order led by the month it is rebuilt by: appending months leaves the table exactly as a full build
-- writes it, so the sums downstream add up in the same order (the same inputs publish the same bytes)
order by period_month, org_code
