-- Staff Survey measures per ICS, survey year and boundary basis (METRICS.md, survey), before the
-- marts add names. Percentages are ratios of sums over member organisations per item (positive / base),
-- then the mean over the items present; scores are weighted means of organisation scores. Organisations
-- outside any ICS are excluded (int_survey__org_boundaries places organisations in ICSs). The ICS cell itself
-- is withheld as int_survey__disclosure says (below min_respondents responses, or as a complement).
{%- set year_on_year = [('psi_pct_positive', 'psi_base'), ('burnout_pct_often_always', 'burnout_base'),
                        ('pct_high_burnout', 'n_cbi_scored'), ('pct_unwell_stress', 'stress_base')] %}
with boundaries as (
    select * from {{ ref('int_survey__org_boundaries') }}
),

org_years_icb as (
    select o.*, b.boundary_basis, b.icb_code, b.mapping_version
    from {{ ref('int_survey__org_yearly') }} as o
    inner join boundaries as b using (org_code, survey_year)
),

items_icb as (
    select i.*, b.boundary_basis, b.icb_code
    from {{ ref('int_survey__org_items') }} as i
    inner join boundaries as b using (org_code, survey_year)
),

ics_items as (
    select icb_code, boundary_basis, survey_year, item_key, sum(positive) as positive, sum(base) as base
    from items_icb
    group by icb_code, boundary_basis, survey_year, item_key
),

item_measures as (
    select
        icb_code,
        boundary_basis,
        survey_year,
        {{ survey_item_measure_columns() }}
    from ics_items
    group by icb_code, boundary_basis, survey_year
),

item_bases as (
    -- the route(s) and items each percentage stands on: a change between years on different bases is not tested
    select
        icb_code,
        boundary_basis,
        survey_year,
        {{ survey_item_basis_columns() }}
    from items_icb
    group by icb_code, boundary_basis, survey_year
),

spread as (
    -- the "mutuality" signal: how different speaking up is between member organisations that are published
    select
        o.icb_code,
        o.boundary_basis,
        o.survey_year,
        min(o.psi_pct_positive) as psi_org_min,
        max(o.psi_pct_positive) as psi_org_max,
        quantile_cont(o.psi_pct_positive, 0.75) - quantile_cont(o.psi_pct_positive, 0.25) as psi_org_iqr,
        count(*) as n_orgs_in_spread
    from org_years_icb as o
    inner join {{ ref('int_survey__disclosure') }} as d
        on d.series = 'staff_survey' and d.org_code = o.org_code and d.survey_year = o.survey_year
    where not d.suppressed and o.psi_pct_positive is not null
    group by o.icb_code, o.boundary_basis, o.survey_year
),

scores as (
    select
        icb_code,
        boundary_basis,
        survey_year,
        max(mapping_version) as mapping_version,
        count(distinct org_code) as n_orgs,
        sum(n_respondents) as n_respondents,
        case when count(distinct weighting) = 1 then any_value(weighting) else 'mixed' end as weighting,
        {{ survey_group_score_columns() }}
    from org_years_icb
    group by icb_code, boundary_basis, survey_year
),

combined as (
    select
        s.icb_code,
        s.boundary_basis,
        s.survey_year,
        s.mapping_version,
        s.n_orgs,
        s.n_respondents,
        coalesce(ds.suppressed, true) as survey_suppressed,
        s.weighting,
        s.psi_score,
        i.psi_pct_positive,
        i.psi_base,
        ib.psi_pct_positive_basis,
        s.burnout_score,
        s.pct_high_burnout,
        s.n_cbi_scored,
        i.burnout_pct_often_always,
        i.burnout_base,
        ib.burnout_pct_often_always_basis,
        i.pct_unwell_stress,
        i.stress_base,
        ib.pct_unwell_stress_basis,
        x.psi_org_min,
        x.psi_org_max,
        x.psi_org_iqr,
        coalesce(x.n_orgs_in_spread, 0) as n_orgs_in_spread
    from scores as s
    left join item_measures as i using (icb_code, boundary_basis, survey_year)
    left join item_bases as ib using (icb_code, boundary_basis, survey_year)
    left join spread as x using (icb_code, boundary_basis, survey_year)
    -- ICS cells are withheld by the same procedure as organisation cells (int_survey__disclosure)
    left join {{ ref('int_survey__disclosure') }} as ds
        on ds.cell_level = 'ics' and ds.series = 'staff_survey' and ds.icb_code = s.icb_code
        and ds.boundary_basis = s.boundary_basis and ds.survey_year = s.survey_year
),

published as (
    -- withheld cells keep their keys and lose every measure
    select
        icb_code,
        boundary_basis,
        survey_year,
        mapping_version,
        n_orgs,
        survey_suppressed as suppressed,
        case when not survey_suppressed then n_respondents end as n_respondents,
        {{ n_respondents_label('n_respondents', 'survey_suppressed') }} as n_respondents_label,
        weighting,
        case when not survey_suppressed then psi_score end as psi_score,
        case when not survey_suppressed then psi_pct_positive end as psi_pct_positive,
        case when not survey_suppressed then psi_base end as psi_base,
        case when not survey_suppressed then psi_pct_positive_basis end as psi_pct_positive_basis,
        case when not survey_suppressed then burnout_score end as burnout_score,
        case when not survey_suppressed then pct_high_burnout end as pct_high_burnout,
        case when not survey_suppressed then n_cbi_scored end as n_cbi_scored,
        case when not survey_suppressed then burnout_pct_often_always end as burnout_pct_often_always,
        case when not survey_suppressed then burnout_base end as burnout_base,
        case when not survey_suppressed then burnout_pct_often_always_basis end as burnout_pct_often_always_basis,
        case when not survey_suppressed then pct_unwell_stress end as pct_unwell_stress,
        case when not survey_suppressed then stress_base end as stress_base,
        case when not survey_suppressed then pct_unwell_stress_basis end as pct_unwell_stress_basis,
        case when not survey_suppressed then psi_org_min end as psi_org_min,
        case when not survey_suppressed then psi_org_max end as psi_org_max,
        case when not survey_suppressed then psi_org_iqr end as psi_org_iqr,
        n_orgs_in_spread
    from combined
),

previous as (
    select
        *,
        {{ previous_year_columns(year_on_year) }}
    from published
    window y as (partition by icb_code, boundary_basis order by survey_year)
)

select
    * exclude (has_previous_year
        {%- for measure, base in year_on_year %}, {{ measure }}_prev, {{ base }}_prev
        {%- if has_item_basis(measure) %}, {{ measure }}_basis_prev{% endif %}{% endfor %}),
    {%- for measure, base in year_on_year %}
    {{ wilson_interval_columns(measure, base) }},
    {%- endfor %}
    {%- for measure, base in year_on_year %}
    {{ year_on_year_columns(measure, base, with_z=true) }}{{ ',' if not loop.last }}
    {%- endfor %}
from previous
