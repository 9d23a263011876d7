-- Sickness days per organisation, month and staff group (the all-staff total is not a staff group here:
-- it is int_sickness__org_monthly). The published staff-group file wins for the organisation-months it
-- covers; record-level extracts fill the others.
with published as (
    select org_code, period_month, staff_group, fte_days_lost, fte_days_available, 'published' as source_route
    from {{ ref('stg_sickness__staff_group_monthly') }}
    where staff_group <> '{{ var("all_staff_groups") }}'
),

record_level as (
    select org_code, period_month, staff_group, fte_days_lost, fte_days_available, 'record_level' as source_route
    from {{ ref('int_sickness__record_level_staff_group_monthly') }}
)

{{ route_precedence('published', 'record_level', ['org_code', 'period_month']) }}
