-- Sickness days per organisation, month and staff group from record-level extracts: an episode takes the
-- staff group of its assignment in post that month (episodes with no matching assignment have no group).
-- Incremental by month: a month reads only that month's staff in post and episode months.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_rebuilt_months('period_month') }}") }}
with available as (
    select
        org_code,
        period_month,
        staff_group,
        sum(fte * dayofmonth(last_day(period_month))) as fte_days_available
    from {{ ref('stg_workforce__staff_in_post') }}
    where {{ rebuilt_months('period_month') }}
    group by org_code, period_month, staff_group
),

episode_months as (
    select *
    from {{ ref('int_sickness__episode_months') }}
    where {{ rebuilt_months('period_month') }}
),

-- only the assignments with sickness that month: the distinct then runs over a fraction of the 50 M rows
-- of staff in post at national scale (17 s instead of 25 s)
assignment_groups as (
    select distinct s.org_code, s.assignment_pid, s.period_month, s.staff_group
    from {{ ref('stg_workforce__staff_in_post') }} as s
    semi join episode_months as e
        on e.org_code = s.org_code and e.assignment_pid = s.assignment_pid and e.period_month = s.period_month
    where {{ rebuilt_months('s.period_month') }}
),

lost as (
    select
        e.org_code,
        e.period_month,
        g.staff_group,
        -- in exact decimals: the join's output order differs between a full and an incremental build (other
        -- input sizes, another plan), and a sum of doubles depends on the order it adds in
        sum(e.fte_days_lost::decimal(38, 10))::double as fte_days_lost
    from episode_months as e
    inner join assignment_groups as g
        on g.org_code = e.org_code and g.assignment_pid = e.assignment_pid and g.period_month = e.period_month
    group by e.org_code, e.period_month, g.staff_group
)

select
    a.org_code,
    a.period_month,
    a.staff_group,
    coalesce(l.fte_days_lost, 0) as fte_days_lost,
    a.fte_days_available
from available as a
left join lost as l
    on l.org_code = a.org_code and l.period_month = a.period_month and l.staff_group = a.staff_group
-- in a total order led by the month it is rebuilt by: appending months leaves the table exactly as a full build
-- writes it, so the sums downstream add up in the same order (the same inputs publish the same bytes)
order by a.period_month, a.org_code, a.staff_group
