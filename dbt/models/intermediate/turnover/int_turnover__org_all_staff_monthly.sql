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

{{ turnover_cells('published', ref('int_turnover__record_level_org_monthly'), ['org_code', 'period_month']) }}
