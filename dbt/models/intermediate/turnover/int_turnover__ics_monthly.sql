-- NHS turnover per ICS and month on both boundary bases, from the "All staff groups" rows of the published
-- turnover benchmarking (headcounts do not add across staff groups). Rates are ratios of sums:
-- leavers / mean(staff in post at start, at end) x 100; the 12-month rate divides the leavers of the 12
-- months by the mean of staff in post at the window's start and at its end, only when all 12 are there.
{%- set months = var('rolling_window_months') %}
with org_month as (
    {{ with_boundary_bases(ref('int_turnover__org_all_staff_monthly'), 'period_month') }}
),

ics_month as (
    select
        icb_code,
        period_month,
        boundary_basis,
        max(mapping_version) as mapping_version,
        count(distinct org_code) filter (where sip_start_hc is not null) as n_orgs,
        sum(sip_start_hc) as sip_start_hc,
        sum(sip_end_hc) as sip_end_hc,
        sum(joiners_hc) as joiners_hc,
        sum(leavers_hc) as leavers_hc,
        sum(sip_start_fte) as sip_start_fte,
        sum(sip_end_fte) as sip_end_fte,
        sum(joiners_fte) as joiners_fte,
        sum(leavers_fte) as leavers_fte,
        sum(staff_at_window_start) as staff_at_window_start,
        sum(staff_still_in_post) as staff_still_in_post,
        sum(record_level_leavers) as record_level_leavers,
        sum(leavers_destination_known) as leavers_destination_known,
        sum(leavers_leaving_nhs) as leavers_leaving_nhs
    from org_month
    where icb_code <> '{{ var("outside_ics_code") }}'
    group by icb_code, period_month, boundary_basis
),

windowed as (
    select
        *,
        count(sip_start_hc) over w as months_in_window,
        sum(leavers_hc) over w as leavers_hc_12m,
        first_value(sip_start_hc) over w as sip_window_start_hc
    from ics_month
    window w as (
        partition by icb_code, boundary_basis order by period_month
        range between interval {{ months - 1 }} month preceding and current row
    )
)

select
    icb_code,
    period_month,
    boundary_basis,
    mapping_version,
    n_orgs,
    sip_start_hc,
    sip_end_hc,
    joiners_hc,
    leavers_hc,
    sip_start_fte,
    sip_end_fte,
    joiners_fte,
    leavers_fte,
    100 * leavers_hc / nullif((sip_start_hc + sip_end_hc) / 2, 0) as leaver_rate,
    100 * leavers_fte / nullif((sip_start_fte + sip_end_fte) / 2, 0) as leaver_rate_fte,
    100 * joiners_hc / nullif((sip_start_hc + sip_end_hc) / 2, 0) as joiner_rate,
    100 * joiners_fte / nullif((sip_start_fte + sip_end_fte) / 2, 0) as joiner_rate_fte,
    case when months_in_window = {{ months }} then leavers_hc_12m end as leavers_hc_12m,
    case when months_in_window = {{ months }} then sip_window_start_hc end as sip_window_start_hc,
    case when months_in_window = {{ months }}
        then 100 * leavers_hc_12m / nullif((sip_window_start_hc + sip_end_hc) / 2, 0) end as leaver_rate_12m,
    case when months_in_window < {{ months }}
        then 'incomplete window: ' || months_in_window || ' of {{ months }} months' end as leaver_rate_12m_reason,
    staff_at_window_start,
    staff_still_in_post,
    100 * staff_still_in_post / nullif(staff_at_window_start, 0) as stability_index,
    record_level_leavers,
    leavers_destination_known,
    leavers_leaving_nhs
from windowed
