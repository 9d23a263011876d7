-- Disclosure control of organisation sickness cells (organisation x month x staff group), the
-- publication's rule: a cell with at most sickness_min_fte_days_available FTE days available is withheld.
-- Complementary suppression protects it within its parent: an organisation's all-staff cell within its ICS
-- (on either boundary basis, QZZ excluded: it is not rolled up), a staff-group cell within its organisation.
with all_staff as (
    select org_code, period_month, '{{ var("all_staff_groups") }}' as staff_group, fte_days_available
    from {{ ref('int_sickness__org_monthly') }}
),

cells as (
    select
        a.org_code,
        a.period_month,
        a.staff_group,
        a.fte_days_available,
        case when m.icb_code <> '{{ var("outside_ics_code") }}'
            then concat_ws('|', 'ics', m.boundary_basis, m.icb_code, a.period_month) end as parent_key
    from all_staff as a
    left join ({{ with_boundary_bases('all_staff', 'period_month') }}) as m
        using (org_code, period_month)
    union all
    select
        org_code,
        period_month,
        staff_group,
        fte_days_available,
        concat_ws('|', 'organisation', org_code, period_month) as parent_key
    from {{ ref('int_sickness__org_staff_group_monthly') }}
),

protected as (
    {{ disclosure_control(
        cells='cells',
        cell_columns=['org_code', 'period_month', 'staff_group'],
        parent_key='parent_key',
        size_column='fte_days_available',
        primary_column='fte_days_available <= ' ~ var('sickness_min_fte_days_available')) }}
)

select
    *,
    case
        when primary_withheld then 'at most {{ var("sickness_min_fte_days_available") }} FTE days available'
        when complementary_withheld then 'complementary: protects a withheld cell of the same parent'
    end as suppression_reason
from protected
