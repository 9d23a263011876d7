-- The seven Burnout Risk Index components per ICS, month and boundary basis, as raw values oriented so that
-- higher means more risk (METRICS.md, BRI), with the national (all ICSs, QZZ excluded) value of each:
--   c_burnout               pct_high_burnout when every ICS has it that year,  } the latest survey year
--                           else % often/always over q12a-c for every ICS     }
--   c_psych_safety_deficit  100 - psi_pct_positive, else 10 x (10 - psi_score) } fielded before the month
--   c_stress                pct_unwell_stress                                  }
--   c_sickness              sickness_rate_12m
--   c_mh_absence            mh_absence_share_12m
--   c_leavers               leaver_rate_12m
--   c_social_care_turnover  asc_turnover_rate of the latest year not after the month's year
-- National values are ratios of the same sums over every ICS (survey: per item, then the mean over items).
-- c_burnout is one measure over one item set for every ICS and the nation in a survey year (c_burnout_measure
-- names it): respondent-level high burnout only when every ICS has it, else the published route's items a-c
-- (burnout_exhausting, burnout_burnt_out, burnout_frustrated), all three required; so ICSs are ranked on the
-- same measure, and an ICS whose route changes does not change measure on its own.
{%- set fieldwork = "make_date(survey_year, " ~ var('survey_fieldwork_month') ~ ", 1)" %}
with months as (
    select icb_code, period_month, boundary_basis, mapping_version from {{ ref('int_sickness__ics_monthly') }}
    union
    select icb_code, period_month, boundary_basis, mapping_version from {{ ref('int_turnover__ics_monthly') }}
),

ics_months as (
    select icb_code, period_month, boundary_basis, max(mapping_version) as mapping_version
    from months
    group by icb_code, period_month, boundary_basis
),

{%- set common_burnout_items = "('burnout_exhausting', 'burnout_burnt_out', 'burnout_frustrated')" %}

burnout_item_sums as (
    select b.icb_code, b.boundary_basis, i.survey_year, i.item_key, sum(i.positive) as positive, sum(i.base) as base
    from {{ ref('int_survey__org_items') }} as i
    inner join {{ ref('int_survey__org_boundaries') }} as b using (org_code, survey_year)
    where i.item_key in {{ common_burnout_items }}
    group by b.icb_code, b.boundary_basis, i.survey_year, i.item_key
),

burnout_common_items as (
    select
        icb_code,
        boundary_basis,
        survey_year,
        case when count(*) = 3 then avg(100 * positive / base) end as pct_often_always_q12a_c
    from burnout_item_sums
    group by icb_code, boundary_basis, survey_year
),

burnout_measure as (
    -- one measure per survey year and basis, over the ICS cells that are published
    select
        boundary_basis,
        survey_year,
        bool_and(pct_high_burnout is not null) as use_high_burnout
    from {{ ref('int_survey__ics_yearly') }}
    where not coalesce(suppressed, false)
    group by boundary_basis, survey_year
),

survey as (
    select
        s.icb_code,
        s.boundary_basis,
        s.survey_year,
        {{ fieldwork }} as fieldwork_date,
        case when m.use_high_burnout then 'pct_high_burnout' else 'pct_often_always_q12a_c' end as c_burnout_measure,
        case
            when coalesce(s.suppressed, false) then null
            when m.use_high_burnout then s.pct_high_burnout
            else b.pct_often_always_q12a_c
        end as c_burnout,
        coalesce(100 - s.psi_pct_positive, 10 * (10 - s.psi_score)) as c_psych_safety_deficit,
        s.pct_unwell_stress as c_stress
    from {{ ref('int_survey__ics_yearly') }} as s
    left join burnout_measure as m using (boundary_basis, survey_year)
    left join burnout_common_items as b using (icb_code, boundary_basis, survey_year)
),

social_care as (
    select icb_code, boundary_basis, year, asc_turnover_rate as c_social_care_turnover
    from {{ ref('ics_social_care') }}
    where asc_turnover_rate is not null
),

components as (
    select
        m.icb_code,
        m.period_month,
        m.boundary_basis,
        m.mapping_version,
        s.survey_year as survey_year_used,
        s.c_burnout_measure,
        s.fieldwork_date,
        datediff('month', s.fieldwork_date, m.period_month) as survey_staleness_months,
        c.year as social_care_year_used,
        s.c_burnout,
        s.c_psych_safety_deficit,
        s.c_stress,
        sk.sickness_rate_12m as c_sickness,
        sk.mh_absence_share_12m as c_mh_absence,
        t.leaver_rate_12m as c_leavers,
        c.c_social_care_turnover
    from ics_months as m
    left join {{ ref('int_sickness__ics_monthly') }} as sk
        on sk.icb_code = m.icb_code and sk.period_month = m.period_month and sk.boundary_basis = m.boundary_basis
    left join {{ ref('int_turnover__ics_monthly') }} as t
        on t.icb_code = m.icb_code and t.period_month = m.period_month and t.boundary_basis = m.boundary_basis
    asof left join survey as s
        on s.icb_code = m.icb_code and s.boundary_basis = m.boundary_basis and m.period_month > s.fieldwork_date
    asof left join social_care as c
        on c.icb_code = m.icb_code and c.boundary_basis = m.boundary_basis and year(m.period_month) >= c.year
),

-- national values ------------------------------------------------------------------------------------
national_monthly as (
    select
        coalesce(sk.period_month, t.period_month) as period_month,
        coalesce(sk.boundary_basis, t.boundary_basis) as boundary_basis,
        sk.national_sickness,
        sk.national_mh_absence,
        t.national_leavers
    from (
        select
            period_month,
            boundary_basis,
            100 * sum(fte_days_lost_12m) / nullif(sum(fte_days_available_12m), 0) as national_sickness,
            100 * sum(mh_fte_days_lost_12m) / nullif(sum(known_reason_fte_days_lost_12m), 0) as national_mh_absence
        from {{ ref('int_sickness__ics_monthly') }}
        group by period_month, boundary_basis
    ) as sk
    full join (
        select
            period_month,
            boundary_basis,
            100 * sum(leavers_hc_12m) / nullif((sum(sip_window_start_hc) + sum(sip_end_hc) filter (
                where leavers_hc_12m is not null)) / 2, 0) as national_leavers
        from {{ ref('int_turnover__ics_monthly') }}
        group by period_month, boundary_basis
    ) as t
        on t.period_month = sk.period_month and t.boundary_basis = sk.boundary_basis
),

national_items as (
    select b.boundary_basis, i.survey_year, i.item_key, sum(i.positive) as positive, sum(i.base) as base
    from {{ ref('int_survey__org_items') }} as i
    inner join {{ ref('int_survey__org_boundaries') }} as b using (org_code, survey_year)
    group by b.boundary_basis, i.survey_year, i.item_key
),

national_scores as (
    select
        b.boundary_basis,
        o.survey_year,
        case when bool_and(o.source_route = 'respondent_level')
            then 100 * coalesce(sum(o.high_burnout_weight), 0) / sum(o.cbi_score_weight) end as pct_high_burnout,
        sum(o.psi_score_weight * o.psi_score) / sum(o.psi_score_weight) filter (where o.psi_score is not null)
            as psi_score
    from {{ ref('int_survey__org_yearly') }} as o
    inner join {{ ref('int_survey__org_boundaries') }} as b using (org_code, survey_year)
    group by b.boundary_basis, o.survey_year
),

national_survey as (
    select
        i.boundary_basis,
        i.survey_year,
        case when any_value(m.use_high_burnout) then any_value(s.pct_high_burnout)
            when count(*) filter (where i.item_key in {{ common_burnout_items }}) = 3
            then avg(100 * i.positive / i.base) filter (where i.item_key in {{ common_burnout_items }})
        end as national_burnout,
        coalesce(100 - avg(100 * i.positive / i.base) filter (where i.item_key in {{ survey_items('psi') }}),
            10 * (10 - any_value(s.psi_score))) as national_psych_safety_deficit,
        avg(100 * i.positive / i.base) filter (where i.item_key in {{ survey_items('stress') }}) as national_stress
    from national_items as i
    left join national_scores as s using (boundary_basis, survey_year)
    left join burnout_measure as m using (boundary_basis, survey_year)
    group by i.boundary_basis, i.survey_year
),

national_social_care as (
    select
        boundary_basis,
        year,
        sum(asc_turnover_rate * turnover_weight) / nullif(sum(turnover_weight), 0) as national_social_care_turnover
    from {{ ref('ics_social_care') }}
    where asc_turnover_rate is not null
    group by boundary_basis, year
)

select
    c.* exclude (fieldwork_date),
    ns.national_burnout,
    ns.national_psych_safety_deficit,
    ns.national_stress,
    nm.national_sickness,
    nm.national_mh_absence,
    nm.national_leavers,
    nc.national_social_care_turnover
from components as c
left join national_monthly as nm
    on nm.period_month = c.period_month and nm.boundary_basis = c.boundary_basis
left join national_survey as ns
    on ns.boundary_basis = c.boundary_basis and ns.survey_year = c.survey_year_used
left join national_social_care as nc
    on nc.boundary_basis = c.boundary_basis and nc.year = c.social_care_year_used
