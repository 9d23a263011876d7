{#
  Attach each organisation-level fact to an ICB on both boundary bases (METRICS.md, keys):
  as_at   - the ICB the organisation belonged to at the fact's date;
  current - the ICB it maps to today: its own latest membership, followed through ICB mergers and re-codings;
            when its last ICB was split, where its successor organisation is today (never a guess: an
            organisation that cannot be placed is left out of the current basis).
  Returns the fact's columns plus boundary_basis, icb_code and mapping_version: the reference snapshot actually used
  for the row - on as_at the newest snapshot on or before the fact's date (the earliest when the fact predates them
  all), on current the newest snapshot.
#}
{% macro with_boundary_bases(facts, date_column) %}
    select
        f.*,
        'as_at' as boundary_basis,
        m.icb_code,
        coalesce(
            list_max(list_filter(m.snapshot_dates, lambda snapshot_date: snapshot_date <= f.{{ date_column }})),
            list_min(m.snapshot_dates),
            m.mapping_version
        ) as mapping_version
    from {{ facts }} as f
    inner join {{ ref('int_org_icb_membership') }} as m
        on {{ is_member_at('m', 'f', 'f.' ~ date_column) }}
    union all
    select f.*, 'current' as boundary_basis, m.current_icb_code as icb_code, m.mapping_version
    from {{ facts }} as f
    inner join {{ ref('int_org_icb_membership') }} as m
        on m.org_code = f.org_code and m.is_latest_membership and m.current_icb_code is not null
{% endmacro %}
