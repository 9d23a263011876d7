-- NHS turnover per ICS and month on both boundary bases, from the "All staff groups" rows of the published
-- turnover benchmarking (headcounts do not add across staff groups). Rates are ratios of sums:
-- leavers / mean(staff in post at start, at end) x 100; the 12-month rate divides the leavers of the 12
-- months by the mean of staff in post at the window's start and at its end, only when all 12 are there for every
-- organisation in the window (an organisation missing at one end would bias it).
with ics_month as (
    {%- call ics_monthly_rollup(ref('int_turnover__org_all_staff_monthly')) %}
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
    {%- endcall %}
),

window_organisations as (
    {{ ics_window_organisations(
        '(select * from ' ~ ref('int_turnover__org_all_staff_monthly') ~ ' where sip_start_hc is not null)') }}
),

windowed as (
    select
        ics_month.*,
        o.orgs_in_window,
        o.org_months_in_window,
        {{ leavers_window_columns('w') }}
    from ics_month
    left join window_organisations as o using (icb_code, boundary_basis, period_month)
    window w as ({{ rolling_window('icb_code, boundary_basis') }})
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
    {{ turnover_rate('leavers_hc', 'sip_start_hc', 'sip_end_hc') }} as leaver_rate,
    {{ turnover_rate('leavers_fte', 'sip_start_fte', 'sip_end_fte') }} as leaver_rate_fte,
    {{ turnover_rate('joiners_hc', 'sip_start_hc', 'sip_end_hc') }} as joiner_rate,
    {{ turnover_rate('joiners_fte', 'sip_start_fte', 'sip_end_fte') }} as joiner_rate_fte,
    {{ when_window_complete('months_in_window', 'leavers_hc_12m', 'org_months_in_window', 'orgs_in_window') }}
        as leavers_hc_12m,
    {{ when_window_complete('months_in_window', 'sip_window_start_hc', 'org_months_in_window', 'orgs_in_window') }}
        as sip_window_start_hc,
    {{ when_window_complete('months_in_window', turnover_rate('leavers_hc_12m', 'sip_window_start_hc', 'sip_end_hc'),
        'org_months_in_window', 'orgs_in_window') }} as leaver_rate_12m,
    {{ incomplete_window_reason('months_in_window', 'org_months_in_window', 'orgs_in_window') }}
        as leaver_rate_12m_reason,
    staff_at_window_start,
    staff_still_in_post,
    {{ stability_index('staff_still_in_post', 'staff_at_window_start') }} as stability_index,
    record_level_leavers,
    leavers_destination_known,
    leavers_leaving_nhs
from windowed
