-- Burnout Risk Index per ICS, month and boundary basis (METRICS.md, BRI). Each component is turned into its
-- percentile rank among the ICSs that have it that month on that basis: (average rank - 1) / (n - 1) x 100,
-- 0 = lowest risk, 100 = highest, tied ICSs share the average of their ranks (a lone ICS ranks 50).
-- bri = weighted mean of the available ranks (weights: var bri_weights), published only when at least
-- bri_min_components are available. Bands: low < bri_moderate_from <= moderate < bri_high_from <= high.
-- The raw values and national values sit beside the ranks.
{%- set weights = var('bri_weights') %}
{%- set components = weights.keys() | list %}
with components as (
    select * from {{ ref('int_bri__components') }}
),

long as (
    {%- for component in components %}
    select
        icb_code,
        period_month,
        boundary_basis,
        '{{ component }}' as component,
        {{ loop.index }} as component_order,
        {{ weights[component] }} as weight,
        {{ component }} as value
    from components
    where {{ component }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

ranked as (
    select
        *,
        case when count(*) over peers = 1 then 50.0
            else 100.0 * ((rank() over ordered - 1) + (count(*) over ties - 1) / 2.0) / (count(*) over peers - 1)
        end as percentile_rank
    from long
    window
        peers as (partition by period_month, boundary_basis, component),
        ordered as (partition by period_month, boundary_basis, component order by value),
        ties as (partition by period_month, boundary_basis, component, value)
),

index as (
    select
        icb_code,
        period_month,
        boundary_basis,
        count(*) as n_components,
        sum(weight * percentile_rank) / nullif(sum(weight), 0) as weighted_mean_rank,
        first(component order by weight * percentile_rank desc, component_order) as dominant_component,
        {%- for component in components %}
        any_value(percentile_rank) filter (where component = '{{ component }}') as {{ component }}_rank{{ ',' if not loop.last }}
        {%- endfor %}
    from ranked
    group by icb_code, period_month, boundary_basis
),

scored as (
    select
        c.*,
        coalesce(i.n_components, 0) as n_components,
        case when i.n_components >= {{ var('bri_min_components') }} then i.weighted_mean_rank end as bri,
        case when i.n_components >= {{ var('bri_min_components') }} then i.dominant_component end as bri_dominant_component,
        {%- for component in components %}
        i.{{ component }}_rank{{ ',' if not loop.last }}
        {%- endfor %}
    from components as c
    left join index as i using (icb_code, period_month, boundary_basis)
),

names as (
    {{ ics_names() }}
),

final as (
    select
        s.icb_code,
        n.icb_name,
        n.region_code,
        s.period_month,
        s.boundary_basis,
        s.mapping_version,
        s.bri,
        case
            when s.bri is null then null
            when s.bri < {{ var('bri_moderate_from') }} then 'low'
            when s.bri < {{ var('bri_high_from') }} then 'moderate'
            else 'high'
        end as bri_band,
        case when s.bri is null
            then 'only ' || s.n_components || ' of {{ components | length }} components available (at least {{ var("bri_min_components") }} needed)'
        end as bri_reason,
        s.n_components,
        s.bri_dominant_component,
        s.survey_year_used,
        s.c_burnout_measure,
        s.survey_staleness_months,
        s.social_care_year_used,
        {%- for component in components %}
        s.{{ component }},
        s.{{ component }}_rank,
        s.national_{{ component[2:] }} as {{ component }}_national{{ ',' if not loop.last }}
        {%- endfor %}
    from scored as s
    left join names as n on n.icb_code = s.icb_code
)

{{ select_contract_columns('final') }}
