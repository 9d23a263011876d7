-- England's sickness absence per organisation type (the publication's peer benchmark groups: Acute, Mental
-- Health, Community, Ambulance, ...), staff group and month: the benchmark an organisation is read against.
-- Summed over the published (not withheld) organisation cells only, so a withheld cell cannot be recovered
-- by subtracting its peers from this total.
with published_cells as (
    select *
    from {{ ref('org_sickness_monthly') }}
    where not suppressed
      and org_type is not null
      and icb_code <> '{{ var("outside_ics_code") }}'
),

final as (
    select
        period_month,
        org_type,
        staff_group,
        staff_group = '{{ var("all_staff_groups") }}' as is_all_staff,
        count(distinct org_code) as n_orgs,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available,
        {{ sickness_rate('sum(fte_days_lost)', 'sum(fte_days_available)') }} as sickness_rate
    from published_cells
    group by period_month, org_type, staff_group
)

{{ select_contract_columns('final') }}
