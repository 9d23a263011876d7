-- One row per organisation-month of turnover for all staff: the published "All staff groups" figures beside
-- the record-level ones (stability, leavers by destination), so ICS roll-ups sum both from one place.
with published as (
    select
        org_code,
        period_month,
        sip_start_hc,
        sip_end_hc,
        joiners_hc,
        leavers_hc,
        sip_start_fte,
        sip_end_fte,
        joiners_fte,
        leavers_fte
    from {{ ref('stg_turnover__org_monthly') }}
    where staff_group = '{{ var("all_staff_groups") }}'
)

select
    coalesce(p.org_code, r.org_code) as org_code,
    coalesce(p.period_month, r.period_month) as period_month,
    p.sip_start_hc,
    p.sip_end_hc,
    p.joiners_hc,
    p.leavers_hc,
    p.sip_start_fte,
    p.sip_end_fte,
    p.joiners_fte,
    p.leavers_fte,
    r.staff_at_window_start,
    r.staff_still_in_post,
    r.record_level_leavers,
    r.leavers_destination_known,
    r.leavers_leaving_nhs
from published as p
full join {{ ref('int_turnover__record_level_org_monthly') }} as r
    on r.org_code = p.org_code and r.period_month = p.period_month
