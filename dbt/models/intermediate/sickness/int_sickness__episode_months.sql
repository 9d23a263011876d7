-- Record-level absence episodes spread over the calendar months they touch (METRICS.md, sickness):
-- FTE days lost in a month = calendar days of the episode in that month x the assignment's FTE.
-- An open episode (no end date) runs to the extract date; nothing after the extract date has happened yet.
with episodes as (
    select
        org_code,
        assignment_pid,
        reason_code,
        fte,
        absence_start,
        least(coalesce(absence_end, extract_date), coalesce(extract_date, absence_end)) as absence_last_day
    from {{ ref('stg_sickness__episodes') }}
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
    nullif(trim(reason_code), '') as reason_code,
    episode_days >= {{ var('long_term_absence_days') }} as is_long_term,
    (least(absence_last_day, last_day(period_month)) - greatest(absence_start, period_month) + 1) * fte
        as fte_days_lost
from by_month
