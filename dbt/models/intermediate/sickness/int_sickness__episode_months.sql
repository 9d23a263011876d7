-- Record-level absence episodes spread over the calendar months they touch (METRICS.md, sickness):
-- FTE days lost in a month = calendar days of the episode in that month x the assignment's FTE.
-- An open episode (no end date) runs to the extract date; nothing after the extract date has happened yet.
-- Incremental by the month of absence_start: an episode's rows change only with the extract rows that start it
-- (stg_sickness__episodes keeps the latest of them), so a new month re-spreads only the episodes starting in it.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_rebuilt_months('absence_start') }}") }}
with episodes as (
    select
        org_code,
        assignment_pid,
        reason_code,
        fte,
        absence_start,
        least(coalesce(absence_end, extract_date), coalesce(extract_date, absence_end)) as absence_last_day
    from {{ ref('stg_sickness__episodes') }}
    where {{ rebuilt_months('absence_start') }}
),

counted as (
    select
        *,
        absence_last_day - absence_start + 1 as episode_days
    from episodes
    where absence_last_day >= absence_start
),

by_month as (
    select
        *,
        unnest(generate_series(
            date_trunc('month', absence_start)::timestamp,
            date_trunc('month', absence_last_day)::timestamp,
            interval 1 month
        ))::date as period_month
    from counted
)

select
    org_code,
    assignment_pid,
    period_month,
    absence_start,
    nullif(trim(reason_code), '') as reason_code,
    episode_days >= {{ var('long_term_absence_days') }} as is_long_term,
    (least(absence_last_day, last_day(period_month)) - greatest(absence_start, period_month) + 1) * fte
        as fte_days_lost
from by_month
-- in a total order led by the month it is rebuilt by: appending months leaves the table exactly as a full build
-- writes it, so the sums downstream add up in the same order (the same inputs publish the same bytes)
order by absence_start, org_code, assignment_pid, period_month, reason_code, is_long_term, fte_days_lost
