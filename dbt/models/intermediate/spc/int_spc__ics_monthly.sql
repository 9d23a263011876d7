-- Statistical process control (NHS England "Making Data Count" XmR charts) on each ICS monthly series,
-- the way NHS analysts apply it (NHSRplotthedots): centre = mean of the baseline (the first
-- spc_baseline_points points, or all if fewer), limits = centre +/- 2.66 x mean moving range of the baseline,
-- near-limit band at 2/3 of that distance. Every series is a percentage (0-100), so the limits and bands are
-- floored at 0 and capped at 100.
-- No limits and no signal when the baseline has fewer than
-- spc_min_points points. Rules, the first that applies wins:
--   1 outside_limits      the point is above the upper or below the lower limit;
--   2 trend               the point is one of 7 (or more) points each higher, or each lower, than the one before;
--   3 two_of_three        the point is beyond the near-limit band (inside the limits), within 3 consecutive
--                         points of which at least 2 are beyond that band on the same side as this point
--                         (the third point may sit anywhere, as in Making Data Count and NHSRplotthedots);
--   4 run                 the point is one of 7 (or more) consecutive points on the same side of the centre
--                         (a point on the centre line breaks a run).
-- Lower is better for every series here: a signal on the high side (above the upper limit, a rising trend,
-- above the centre) is special_cause_concern, on the low side special_cause_improvement. A point that ends
-- a rising trend and starts a falling one counts as rising (the cautious reading).
{%- set baseline = var('spc_baseline_points') %}
with series as (
    select 'sickness_rate' as measure, icb_code, boundary_basis, period_month, sickness_rate as value
    from {{ ref('int_sickness__ics_monthly') }}
    where sickness_rate is not null
    union all
    select 'leaver_rate' as measure, icb_code, boundary_basis, period_month, leaver_rate as value
    from {{ ref('int_turnover__ics_monthly') }}
    where leaver_rate is not null
    union all
    select 'mh_absence_share' as measure, icb_code, boundary_basis, period_month, mh_absence_share as value
    from {{ ref('int_sickness__ics_monthly') }}
    where mh_absence_share is not null
),

numbered as (
    select
        *,
        row_number() over s as point_number,
        abs(value - lag(value) over s) as moving_range,
        sign(value - lag(value) over s) as step
    from series
    window s as (partition by measure, icb_code, boundary_basis order by period_month)
),

baselines as (
    select
        measure,
        icb_code,
        boundary_basis,
        count(*) as baseline_points,
        avg(value) as centre,
        avg(moving_range) as mean_moving_range
    from numbered
    where point_number <= {{ baseline }}
    group by measure, icb_code, boundary_basis
),

limits as (
    select
        n.*,
        b.baseline_points,
        b.centre,
        b.baseline_points >= {{ var('spc_min_points') }} as has_limits,
        least(b.centre + 2.66 * b.mean_moving_range, 100) as upper_limit,
        greatest(b.centre - 2.66 * b.mean_moving_range, 0) as lower_limit,
        least(b.centre + 2.66 * 2 / 3 * b.mean_moving_range, 100) as near_upper,
        greatest(b.centre - 2.66 * 2 / 3 * b.mean_moving_range, 0) as near_lower
    from numbered as n
    inner join baselines as b using (measure, icb_code, boundary_basis)
),

points as (
    select
        *,
        value > upper_limit or value < lower_limit as is_outside,
        value <= upper_limit and value >= lower_limit and (value > near_upper or value < near_lower) as is_near_limit,
        sign(value - centre) as side
    from limits
),

run_ends as (
    -- Each flag marks the last point of a qualifying stretch; the next step spreads it over the stretch.
    select
        *,
        count(*) filter (where step = 1) over last_6_steps = 6 as ends_rising_trend,
        count(*) filter (where step = -1) over last_6_steps = 6 as ends_falling_trend,
        count(*) filter (where side = 1) over last_7 = 7 as ends_run_above,
        count(*) filter (where side = -1) over last_7 = 7 as ends_run_below,
        count(*) over next_3 = 3
            and count(*) filter (where is_near_limit and side = 1) over next_3 >= 2 as starts_two_high,
        count(*) over next_3 = 3
            and count(*) filter (where is_near_limit and side = -1) over next_3 >= 2 as starts_two_low
    from points
    window
        s as (partition by measure, icb_code, boundary_basis order by point_number),
        last_6_steps as (s rows between 5 preceding and current row),
        last_7 as (s rows between 6 preceding and current row),
        next_3 as (s rows between current row and 2 following)
),

rules as (
    select
        *,
        bool_or(ends_rising_trend) over next_7 as in_rising_trend,
        bool_or(ends_falling_trend) over next_7 as in_falling_trend,
        is_near_limit and (
            (side = 1 and bool_or(starts_two_high) over last_3) or (side = -1 and bool_or(starts_two_low) over last_3)
        ) as in_two_of_three,
        bool_or(ends_run_above) over next_7 as in_run_above,
        bool_or(ends_run_below) over next_7 as in_run_below
    from run_ends
    window
        s as (partition by measure, icb_code, boundary_basis order by point_number),
        next_7 as (s rows between current row and 6 following),
        last_3 as (s rows between 2 preceding and current row)
)

select
    measure,
    icb_code,
    boundary_basis,
    period_month,
    value,
    point_number,
    baseline_points,
    case when has_limits then centre end as spc_centre,
    case when has_limits then lower_limit end as spc_lower_limit,
    case when has_limits then upper_limit end as spc_upper_limit,
    case when has_limits then near_lower end as spc_near_lower,
    case when has_limits then near_upper end as spc_near_upper,
    case
        when not has_limits then null
        when is_outside then 'outside_limits'
        when in_rising_trend or in_falling_trend then 'trend'
        when in_two_of_three then 'two_of_three'
        when in_run_above or in_run_below then 'run'
    end as spc_rule,
    case
        when not has_limits then null
        when is_outside then case when value > upper_limit then 'special_cause_concern' else 'special_cause_improvement' end
        when in_rising_trend then 'special_cause_concern'
        when in_falling_trend then 'special_cause_improvement'
        when in_two_of_three then case when side > 0 then 'special_cause_concern' else 'special_cause_improvement' end
        when in_run_above then 'special_cause_concern'
        when in_run_below then 'special_cause_improvement'
        else 'common_cause'
    end as spc_signal,
    case when not has_limits
        then 'only ' || baseline_points || ' points: limits need at least {{ var("spc_min_points") }}' end as spc_reason
from rules
