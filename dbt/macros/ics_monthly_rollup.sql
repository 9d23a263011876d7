{#
  Roll organisation-months up to ICS-months, the same way for every monthly series so their ICS rows line up:
  each organisation-month placed on both boundary bases (with_boundary_bases), bodies outside any ICS
  (outside_ics_code) left out, one row per ICS, month and basis with the newest mapping_version of its members.
  The call block gives the series' aggregates over the member rows, e.g. `sum(fte_days_lost) as fte_days_lost`.
#}
{% macro ics_monthly_rollup(org_months) %}
    select
        icb_code,
        period_month,
        boundary_basis,
        max(mapping_version) as mapping_version,
        {{ caller() }}
    from ({{ with_boundary_bases(org_months, 'period_month') }}) as org_month
    where icb_code <> '{{ var("outside_ics_code") }}'
    group by icb_code, period_month, boundary_basis
{% endmacro %}
