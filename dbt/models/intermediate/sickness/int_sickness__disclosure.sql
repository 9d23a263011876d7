-- Disclosure control of every published sickness cell (METRICS.md): organisation x month ("All staff groups"),
-- organisation x month x staff group, and ICS x month on each boundary basis. A cell with at most
-- sickness_min_fte_days_available FTE days available is withheld, at every level. The published additive
-- relations are: an organisation = the sum of its staff groups; an ICS (each basis) = the sum of its member
-- organisations (QZZ bodies are not rolled up, so nothing adds them); and, where an ICS-month exists on both
-- bases, the difference of its two totals = the organisations that moved between ICSs (one basis minus the
-- other gives them away); and England (national_sickness_monthly, each basis) = the sum of its ICSs.
-- disclosure_control then withholds complements until no relation has exactly one withheld member.
with org_months as (
    select org_code, period_month, fte_days_available from {{ ref('int_sickness__org_monthly') }}
),

org_cells as (
    select
        'organisation' as cell_level,
        org_code,
        '{{ var("all_staff_groups") }}' as staff_group,
        null::varchar as icb_code,
        null::varchar as boundary_basis,
        period_month,
        fte_days_available,
        concat_ws('|', 'org', org_code, period_month) as cell_id
    from org_months
),

staff_group_cells as (
    select
        'staff_group' as cell_level,
        org_code,
        staff_group,
        null::varchar as icb_code,
        null::varchar as boundary_basis,
        period_month,
        fte_days_available,
        concat_ws('|', 'staff_group', org_code, period_month, staff_group) as cell_id
    from {{ ref('int_sickness__org_staff_group_monthly') }}
),

ics_cells as (
    select
        'ics' as cell_level,
        null::varchar as org_code,
        null::varchar as staff_group,
        icb_code,
        boundary_basis,
        period_month,
        fte_days_available,
        concat_ws('|', 'ics', boundary_basis, icb_code, period_month) as cell_id
    from {{ ref('int_sickness__ics_monthly') }}
),

england_cells as (
    select
        'england' as cell_level,
        null::varchar as org_code,
        null::varchar as staff_group,
        null::varchar as icb_code,
        boundary_basis,
        period_month,
        sum(fte_days_available) as fte_days_available,
        concat_ws('|', 'england', boundary_basis, period_month) as cell_id
    from ics_cells
    group by boundary_basis, period_month
),

all_cells as (
    select * from org_cells
    union all
    select * from staff_group_cells
    union all
    select * from ics_cells
    union all
    select * from england_cells
),

cells as (
    select
        cell_id,
        fte_days_available as cell_size,
        fte_days_available <= {{ var('sickness_min_fte_days_available') }} as is_primary
    from all_cells
),

placed as (
    select org_code, period_month, boundary_basis, icb_code from {{ ref('int_sickness__org_placement') }}
),

moved as (
    -- organisations in an ICS-month on one basis only
    select p.icb_code, p.period_month, p.org_code
    from placed as p
    anti join placed as o
        on o.org_code = p.org_code and o.period_month = p.period_month and o.icb_code = p.icb_code
        and o.boundary_basis <> p.boundary_basis
),

both_bases as (
    select icb_code, period_month
    from ics_cells
    group by icb_code, period_month
    having count(*) = 2
),

relations as (
    -- organisation = sum of its staff groups
    select concat_ws('|', 'org', org_code, period_month) as relation_id, cell_id, false as is_total
    from staff_group_cells
    union all
    select distinct concat_ws('|', 'org', org_code, period_month), concat_ws('|', 'org', org_code, period_month), true
    from staff_group_cells
    union all
    -- ICS = sum of member organisations, on each boundary basis
    select concat_ws('|', 'ics', boundary_basis, icb_code, period_month), concat_ws('|', 'org', org_code, period_month), false
    from placed
    union all
    select cell_id, cell_id, true from ics_cells
    union all
    -- as_at total - current total = organisations on one basis only
    select concat_ws('|', 'basis_difference', icb_code, period_month), concat_ws('|', 'org', org_code, period_month), false
    from moved
    semi join both_bases using (icb_code, period_month)
    union all
    select concat_ws('|', 'basis_difference', icb_code, period_month), cell_id, true
    from ics_cells
    semi join both_bases using (icb_code, period_month)
    union all
    -- England = sum of ICSs, on each basis
    select concat_ws('|', 'england', boundary_basis, period_month), cell_id, false from ics_cells
    union all
    select cell_id, cell_id, true from england_cells
),

protected as (
    {{ disclosure_control(cells='cells', relations='relations') }}
)

select
    a.cell_level,
    a.org_code,
    a.staff_group,
    a.icb_code,
    a.boundary_basis,
    a.period_month,
    p.primary_withheld,
    p.complementary_withheld,
    p.suppressed,
    p.in_exposed_relation,
    case
        when p.primary_withheld then 'at most {{ var("sickness_min_fte_days_available") }} FTE days available'
        when p.complementary_withheld then 'complementary: protects a withheld cell of the same total'
    end as suppression_reason
from all_cells as a
inner join protected as p using (cell_id)
