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
-- On the as_at basis every component uses the ICB in force in the month (an ICB merger after the fieldwork, or an
-- organisation that moved, changes the ICS a month's survey belongs to):
--   survey       re-aggregated over the organisations placed on the month's ICB: each survey organisation's own
--                membership in the month (int_org_icb_membership), else its fieldwork ICB, followed through mergers
--                to the ICB in force in the month (int_icb_lifecycle); per item the positives and bases summed over them, with the measure rules of
--                int_survey__ics_yearly. Organisations enter through their as_at fieldwork ICS cell. The month cell
--                gives no component unless it is a sum of published figures: every organisation in it is in a
--                published fieldwork cell carried whole into the month's ICB, or is published itself; so it can
--                reveal no withheld cell.
--   social care  the as_at rows of ics_social_care (2022 ICBs) placed on the ICB in force in the month and combined
--                over the published ones (rate weighted by turnover_weight); a withheld ICS enters no figure.
-- The current basis places everything on today's ICBs already (int_survey__ics_yearly, ics_social_care).
{%- set fieldwork = "make_date(survey_year, " ~ var('survey_fieldwork_month') ~ ", 1)" %}
{%- set common_burnout_items = "('burnout_exhausting', 'burnout_burnt_out', 'burnout_frustrated')" %}
with recursive

months as (
    select icb_code, period_month, boundary_basis, mapping_version from {{ ref('int_sickness__ics_monthly') }}
    union
    select icb_code, period_month, boundary_basis, mapping_version from {{ ref('int_turnover__ics_monthly') }}
),

ics_months as (
    select icb_code, period_month, boundary_basis, max(mapping_version) as mapping_version
    from months
    group by icb_code, period_month, boundary_basis
),

as_at_months as (
    select distinct period_month from ics_months where boundary_basis = 'as_at'
),

-- the ICB in force in a month, from any ICB code -----------------------------------------------------------
lifecycle as (
    select icb_code, ended_on, successor_icb_code from {{ ref('int_icb_lifecycle') }}
),

icb_chain as (
    -- every ICB code and the codes that succeeded it (single successors: mergers and re-codings), with the date
    -- each came into force
    select icb_code as from_icb_code, icb_code, null::date as in_force_from, 0 as steps
    from (
        select icb_code from lifecycle
        union
        select icb_code from {{ ref('int_survey__ics_yearly') }}
        union
        select icb_code from {{ ref('ics_social_care') }}
    ) as codes
    where icb_code <> '{{ var("outside_ics_code") }}'  -- outside any ICS: in force nowhere
    union all
    select c.from_icb_code, l.successor_icb_code, l.ended_on, c.steps + 1
    from icb_chain as c
    inner join lifecycle as l on l.icb_code = c.icb_code
    where l.successor_icb_code is not null and c.steps < 20
),

reached as (
    select c.from_icb_code, m.period_month, arg_max(c.icb_code, c.steps) as icb_code
    from icb_chain as c
    inner join as_at_months as m on c.in_force_from is null or c.in_force_from <= m.period_month
    group by c.from_icb_code, m.period_month
),

icb_in_month as (
    -- none when the chain ends, by the month, in a split or an abolition (no single ICB to place it on)
    select r.from_icb_code, r.period_month, r.icb_code
    from reached as r
    left join lifecycle as l on l.icb_code = r.icb_code
    where l.ended_on is null or l.ended_on > r.period_month
),

-- survey ---------------------------------------------------------------------------------------------------
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

survey_current as (
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
    where s.boundary_basis = 'current'
),

fieldwork_orgs as (
    -- Staff Survey organisations in their as_at ICS cell at fieldwork, and whether that cell and they are withheld
    select
        b.org_code,
        b.survey_year,
        make_date(b.survey_year, {{ var('survey_fieldwork_month') }}, 1) as fieldwork_date,
        b.icb_code as fieldwork_icb_code,
        coalesce(f.suppressed, false) as cell_suppressed,
        coalesce(d.suppressed, true) as org_suppressed
    from {{ ref('int_survey__org_boundaries') }} as b
    inner join {{ ref('int_survey__ics_yearly') }} as f
        on f.icb_code = b.icb_code and f.survey_year = b.survey_year and f.boundary_basis = 'as_at'
    inner join (select distinct org_code, survey_year from {{ ref('int_survey__org_yearly') }}) as o
        on o.org_code = b.org_code and o.survey_year = b.survey_year
    left join {{ ref('int_survey__disclosure') }} as d
        on d.cell_level = 'organisation' and d.series = 'staff_survey' and d.org_code = b.org_code
        and d.survey_year = b.survey_year
    where b.boundary_basis = 'as_at'
),

org_months as (
    -- each survey organisation's ICB in every as_at month after its fieldwork: the ICB in force in the month
    -- reached from its own membership then, else (codes only the survey uses) from its fieldwork ICB; none when
    -- outside any ICS
    select
        f.*,
        m.period_month,
        im.icb_code
    from fieldwork_orgs as f
    inner join as_at_months as m on m.period_month > f.fieldwork_date
    left join {{ ref('int_org_icb_membership') }} as om on {{ is_member_at('om', 'f', 'm.period_month') }}
    left join icb_in_month as im
        on im.from_icb_code = coalesce(om.icb_code, f.fieldwork_icb_code) and im.period_month = m.period_month
),

carried as (
    -- a fieldwork cell is carried whole into a month when all its organisations sit in one ICB then
    select
        fieldwork_icb_code,
        survey_year,
        period_month,
        count(distinct icb_code) = 1 and count(icb_code) = count(*) as carried_whole
    from org_months
    group by fieldwork_icb_code, survey_year, period_month
),

month_orgs as (
    -- the organisations of the latest survey year fielded before the month, on the month's ICB
    select o.*, c.carried_whole
    from org_months as o
    inner join carried as c using (fieldwork_icb_code, survey_year, period_month)
    where o.icb_code is not null
    qualify o.survey_year = max(o.survey_year) over (partition by o.icb_code, o.period_month)
),

month_cells as (
    select
        icb_code,
        period_month,
        any_value(survey_year) as survey_year,
        any_value(fieldwork_date) as fieldwork_date,
        bool_and((not cell_suppressed and carried_whole) or not org_suppressed) as publishable
    from month_orgs
    group by icb_code, period_month
),

month_items as (
    select o.icb_code, o.period_month, i.item_key, sum(i.positive) as positive, sum(i.base) as base
    from month_orgs as o
    inner join {{ ref('int_survey__org_items') }} as i using (org_code, survey_year)
    group by o.icb_code, o.period_month, i.item_key
),

month_item_measures as (
    select
        icb_code,
        period_month,
        {{ survey_item_measure_columns() }},
        case when count(*) filter (where item_key in {{ common_burnout_items }}) = 3
            then avg(100 * positive / base) filter (where item_key in {{ common_burnout_items }})
        end as pct_often_always_q12a_c
    from month_items
    group by icb_code, period_month
),

month_scores as (
    select
        o.icb_code,
        o.period_month,
        {{ survey_group_score_columns() }}
    from month_orgs as o
    inner join {{ ref('int_survey__org_yearly') }} using (org_code, survey_year)
    group by o.icb_code, o.period_month
),

survey_as_at as (
    select
        c.icb_code,
        c.period_month,
        'as_at' as boundary_basis,
        c.survey_year,
        c.fieldwork_date,
        case when m.use_high_burnout then 'pct_high_burnout' else 'pct_often_always_q12a_c' end as c_burnout_measure,
        case when c.publishable then
            case when m.use_high_burnout then s.pct_high_burnout else i.pct_often_always_q12a_c end
        end as c_burnout,
        case when c.publishable then coalesce(100 - i.psi_pct_positive, 10 * (10 - s.psi_score)) end
            as c_psych_safety_deficit,
        case when c.publishable then i.pct_unwell_stress end as c_stress
    from month_cells as c
    left join month_item_measures as i using (icb_code, period_month)
    left join month_scores as s using (icb_code, period_month)
    left join burnout_measure as m on m.boundary_basis = 'as_at' and m.survey_year = c.survey_year
),

survey_months as (
    select m.icb_code, m.period_month, m.boundary_basis, s.* exclude (icb_code, boundary_basis)
    from ics_months as m
    asof inner join survey_current as s
        on s.icb_code = m.icb_code and s.boundary_basis = m.boundary_basis and m.period_month > s.fieldwork_date
    union all by name
    select * from survey_as_at
),

-- social care ----------------------------------------------------------------------------------------------
social_care_current as (
    select icb_code, boundary_basis, year, asc_turnover_rate as c_social_care_turnover
    from {{ ref('ics_social_care') }}
    where boundary_basis = 'current' and asc_turnover_rate is not null
),

social_care_as_at as (
    -- the published 2022-ICB figures of the latest year not after the month, on the ICB in force in the month
    select
        im.icb_code,
        im.period_month,
        'as_at' as boundary_basis,
        c.year,
        sum(c.asc_turnover_rate * c.turnover_weight) / nullif(sum(c.turnover_weight), 0) as c_social_care_turnover
    from {{ ref('ics_social_care') }} as c
    inner join icb_in_month as im on im.from_icb_code = c.icb_code and year(im.period_month) >= c.year
    where c.boundary_basis = 'as_at' and c.asc_turnover_rate is not null
    group by im.icb_code, im.period_month, c.year
    qualify c.year = max(c.year) over (partition by im.icb_code, im.period_month)
),

social_care_months as (
    select m.icb_code, m.period_month, m.boundary_basis, c.year, c.c_social_care_turnover
    from ics_months as m
    asof inner join social_care_current as c
        on c.icb_code = m.icb_code and c.boundary_basis = m.boundary_basis and year(m.period_month) >= c.year
    union all by name
    select * from social_care_as_at
),

components as (
    select
        m.icb_code,
        m.period_month,
        m.boundary_basis,
        m.mapping_version,
        s.survey_year as survey_year_used,
        s.c_burnout_measure,
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
    left join survey_months as s
        on s.icb_code = m.icb_code and s.period_month = m.period_month and s.boundary_basis = m.boundary_basis
    left join social_care_months as c
        on c.icb_code = m.icb_code and c.period_month = m.period_month and c.boundary_basis = m.boundary_basis
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
        {{ survey_group_score_columns() }}
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
    c.*,
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
