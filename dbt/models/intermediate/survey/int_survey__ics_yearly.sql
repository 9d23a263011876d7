-- Staff Survey and pulse measures per ICS, survey year and boundary basis (METRICS.md, survey), before the
-- marts add names. Percentages are ratios of sums over member organisations per item (positive / base),
-- then the mean over the items present; scores are weighted means of organisation scores. Organisations
-- outside any ICS are excluded (int_survey__org_boundaries places organisations in ICSs). The ICS cell itself
-- is withheld below min_respondents responses.
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

pulse_icb as (
    select p.*, b.boundary_basis, b.icb_code, b.mapping_version
    from {{ ref('int_pulse__org_yearly') }} as p
    inner join boundaries as b on b.org_code = p.org_code and b.survey_year = p.pulse_year
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
        avg(100 * positive / base) filter (where item_key in {{ survey_items('psi') }}) as psi_pct_positive,
        avg(base) filter (where item_key in {{ survey_items('psi') }}) as psi_base,
        avg(100 * positive / base) filter (where item_key in {{ survey_items('burnout') }}) as burnout_pct_often_always,
        avg(base) filter (where item_key in {{ survey_items('burnout') }}) as burnout_base,
        avg(100 * positive / base) filter (where item_key in {{ survey_items('stress') }}) as pct_unwell_stress,
        avg(base) filter (where item_key in {{ survey_items('stress') }}) as stress_base
    from ics_items
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
    inner join {{ ref('int_survey__org_disclosure') }} as d
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
        sum(psi_score_weight * psi_score) / sum(psi_score_weight) filter (where psi_score is not null) as psi_score,
        sum(burnout_score_weight * burnout_score) / sum(burnout_score_weight) filter (where burnout_score is not null)
            as burnout_score,
        -- only respondent-level data give high burnout; a partial ICS figure would mislead, so all or nothing
        case when bool_and(source_route = 'respondent_level')
            then 100 * coalesce(sum(high_burnout_weight), 0) / sum(cbi_score_weight) end as pct_high_burnout,
        case when bool_and(source_route = 'respondent_level') then sum(n_cbi_scored) end as n_cbi_scored
    from org_years_icb
    group by icb_code, boundary_basis, survey_year
),

pulse as (
    select
        icb_code,
        boundary_basis,
        pulse_year as survey_year,
        max(mapping_version) as mapping_version,
        sum(pulse_n_responses) as pulse_n_responses,
        sum(pulse_n_teams) as pulse_n_teams,
        (sum(pulse_score_sum) / sum(pulse_n_responses) - 1) / 6 * 10 as pulse_psi_score
    from pulse_icb
    group by icb_code, boundary_basis, pulse_year
),

combined as (
    select
        s.icb_code,
        s.boundary_basis,
        s.survey_year,
        s.mapping_version,
        s.n_orgs,
        s.n_respondents,
        s.n_respondents < {{ var('min_respondents') }} as survey_suppressed,
        s.weighting,
        s.psi_score,
        i.psi_pct_positive,
        i.psi_base,
        s.burnout_score,
        s.pct_high_burnout,
        s.n_cbi_scored,
        i.burnout_pct_often_always,
        i.burnout_base,
        i.pct_unwell_stress,
        i.stress_base,
        x.psi_org_min,
        x.psi_org_max,
        x.psi_org_iqr,
        coalesce(x.n_orgs_in_spread, 0) as n_orgs_in_spread,
        p.pulse_n_responses,
        p.pulse_n_teams,
        p.pulse_n_responses < {{ var('min_respondents') }} as pulse_suppressed,
        p.pulse_psi_score
    from scores as s
    left join item_measures as i using (icb_code, boundary_basis, survey_year)
    left join spread as x using (icb_code, boundary_basis, survey_year)
    -- pulse results sit beside the Staff Survey row of their year; they never make a row of their own
    left join pulse as p using (icb_code, boundary_basis, survey_year)
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
        case when survey_suppressed then '<{{ var("min_respondents") }}' else n_respondents::varchar end
            as n_respondents_label,
        weighting,
        case when not survey_suppressed then psi_score end as psi_score,
        case when not survey_suppressed then psi_pct_positive end as psi_pct_positive,
        case when not survey_suppressed then psi_base end as psi_base,
        case when not survey_suppressed then burnout_score end as burnout_score,
        case when not survey_suppressed then pct_high_burnout end as pct_high_burnout,
        case when not survey_suppressed then n_cbi_scored end as n_cbi_scored,
        case when not survey_suppressed then burnout_pct_often_always end as burnout_pct_often_always,
        case when not survey_suppressed then burnout_base end as burnout_base,
        case when not survey_suppressed then pct_unwell_stress end as pct_unwell_stress,
        case when not survey_suppressed then stress_base end as stress_base,
        case when not survey_suppressed then psi_org_min end as psi_org_min,
        case when not survey_suppressed then psi_org_max end as psi_org_max,
        case when not survey_suppressed then psi_org_iqr end as psi_org_iqr,
        n_orgs_in_spread,
        -- a withheld row shows nothing, its pulse results included
        coalesce(pulse_suppressed, false) as pulse_suppressed,
        case when not survey_suppressed and not pulse_suppressed then pulse_n_responses end as pulse_n_responses,
        case when not survey_suppressed and not pulse_suppressed then pulse_n_teams end as pulse_n_teams,
        case when not survey_suppressed and not pulse_suppressed then pulse_psi_score end as pulse_psi_score
    from combined
),

previous as (
    select
        *,
        lag(survey_year) over y = survey_year - 1 as has_previous_year,
        lag(psi_pct_positive) over y as psi_pct_positive_prev,
        lag(psi_base) over y as psi_base_prev,
        lag(burnout_pct_often_always) over y as burnout_pct_often_always_prev,
        lag(burnout_base) over y as burnout_base_prev,
        lag(pct_high_burnout) over y as pct_high_burnout_prev,
        lag(n_cbi_scored) over y as n_cbi_scored_prev,
        lag(pct_unwell_stress) over y as pct_unwell_stress_prev,
        lag(stress_base) over y as stress_base_prev
    from published
    window y as (partition by icb_code, boundary_basis order by survey_year)
)

select
    * exclude (has_previous_year, psi_pct_positive_prev, psi_base_prev, burnout_pct_often_always_prev,
        burnout_base_prev, pct_high_burnout_prev, n_cbi_scored_prev, pct_unwell_stress_prev, stress_base_prev),
    {{ wilson_bound('psi_pct_positive', 'psi_base', 'lower') }} as psi_pct_positive_lower,
    {{ wilson_bound('psi_pct_positive', 'psi_base', 'upper') }} as psi_pct_positive_upper,
    {{ wilson_bound('burnout_pct_often_always', 'burnout_base', 'lower') }} as burnout_pct_often_always_lower,
    {{ wilson_bound('burnout_pct_often_always', 'burnout_base', 'upper') }} as burnout_pct_often_always_upper,
    {{ wilson_bound('pct_high_burnout', 'n_cbi_scored', 'lower') }} as pct_high_burnout_lower,
    {{ wilson_bound('pct_high_burnout', 'n_cbi_scored', 'upper') }} as pct_high_burnout_upper,
    {{ wilson_bound('pct_unwell_stress', 'stress_base', 'lower') }} as pct_unwell_stress_lower,
    {{ wilson_bound('pct_unwell_stress', 'stress_base', 'upper') }} as pct_unwell_stress_upper,
    {%- for measure, base in [('psi_pct_positive', 'psi_base'), ('burnout_pct_often_always', 'burnout_base'),
                              ('pct_high_burnout', 'n_cbi_scored'), ('pct_unwell_stress', 'stress_base')] %}
    case when has_previous_year then {{ measure }} - {{ measure }}_prev end as {{ measure }}_change,
    case when has_previous_year then {{ two_proportion_z(measure, base, measure ~ '_prev', base ~ '_prev') }} end
        as {{ measure }}_z,
    case when has_previous_year then {{ is_significant(two_proportion_z(measure, base, measure ~ '_prev', base ~ '_prev')) }} end
        as {{ measure }}_significant{{ ',' if not loop.last }}
    {%- endfor %}
from previous
