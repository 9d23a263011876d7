-- Organisations with their ICB membership over time: one row per organisation and membership interval, with
-- opening, closure, the successor that took a closed organisation over, and the ICB it maps to today.
with membership as (
    select * from {{ ref('int_org_icb_membership') }}
),

ods_newest as (
    select *
    from {{ ref('stg_reference__ods_snapshots') }}
    qualify row_number() over (partition by org_code order by snapshot_date desc) = 1
),

published as (
    -- names and types as NHS England Digital publishes them (the sickness publication, else turnover)
    select
        org_code,
        coalesce(
            arg_max(org_name, period_month) filter (where preference = 1),
            arg_max(org_name, period_month) filter (where preference = 2)
        ) as org_name,
        arg_max(org_type, period_month) as org_type,
        arg_max(region_code, period_month) as region_code
    from (
        select org_code, org_name, org_type, region_code, period_month, 1 as preference
        from {{ ref('stg_sickness__org_monthly') }}
        union all
        select org_code, org_name, null, null, period_month, 2
        from {{ ref('stg_turnover__org_monthly') }}
    )
    group by org_code
),

survey_only as (
    -- organisations the Staff Survey reports on that no membership source knows (2021 CCGs, merged CCG
    -- codes such as 01T/01V, some sector codes): placed by int_survey__org_icb, one row each
    select
        r.org_code,
        arg_max(r.org_name, r.survey_year) as org_name,
        make_date(min(r.survey_year), 1, 1) as valid_from,
        arg_max(a.icb_code, r.survey_year) as icb_code,
        arg_max(c.icb_code, r.survey_year) as current_icb_code,
        arg_max(a.mapping_version, r.survey_year) as mapping_version
    from {{ ref('stg_survey__org_results') }} as r
    left join {{ ref('int_survey__org_icb') }} as a
        on a.org_code = r.org_code and a.survey_year = r.survey_year and a.boundary_basis = 'as_at'
    left join {{ ref('int_survey__org_icb') }} as c
        on c.org_code = r.org_code and c.survey_year = r.survey_year and c.boundary_basis = 'current'
    where r.org_code not in (select org_code from membership)
    group by r.org_code
)

select
    m.org_code,
    coalesce(p.org_name, o.org_name) as org_name,
    p.org_type,
    coalesce(o.region_code, p.region_code) as region_code,
    m.icb_code,
    m.icb_code = '{{ var("outside_ics_code") }}' as is_outside_ics,
    m.valid_from,
    m.valid_to - 1 as valid_to,
    m.membership_source,
    m.is_latest_membership,
    o.open_date,
    o.close_date,
    s.successor_org_code,
    s.successor_basis,
    m.current_icb_code,
    m.current_icb_basis,
    m.mapping_version
from membership as m
left join ods_newest as o on o.org_code = m.org_code
left join published as p on p.org_code = m.org_code
left join {{ ref('int_org_successions') }} as s on s.org_code = m.org_code

union all

select
    org_code,
    org_name,
    null as org_type,
    null as region_code,
    coalesce(icb_code, '{{ var("outside_ics_code") }}') as icb_code,
    icb_code is null as is_outside_ics,
    valid_from,
    null as valid_to,
    'staff_survey' as membership_source,
    true as is_latest_membership,
    null as open_date,
    null as close_date,
    null as successor_org_code,
    null as successor_basis,
    coalesce(current_icb_code, '{{ var("outside_ics_code") }}') as current_icb_code,
    'staff_survey' as current_icb_basis,
    mapping_version
from survey_only
