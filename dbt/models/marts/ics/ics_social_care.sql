-- Adult social care workforce (Skills for Care, council grain) per ICS, year and boundary basis: the sums of the
-- councils' parts (int_social_care__council_icb: filled posts x the share of the council's population in the ICB).
-- Withheld councils (fewer than social_care_min_workers workers) enter no published figure (not the rates, posts
-- or workers: one column with them and one without would give them away). An ICS whose published workers are
-- fewer than that is withheld, and so is a complement: each ICS on today's boundaries is the sum of the ICSs of
-- 2022 restated to it (a merger), so disclosure_control withholds another part or the total until no withheld ICS
-- is the difference of published ones.
with both_bases as (
    select * from {{ ref('int_social_care__council_icb') }}
),

ics_year as (
    select
        icb_code,
        year,
        boundary_basis,
        count(distinct la_code) as n_las,
        count(distinct la_code) filter (where withheld) as n_las_withheld,
        sum(filled_posts * share) filter (where not withheld) as filled_posts,
        sum(n_workers * share) filter (where not withheld) as n_workers,
        coalesce(sum(coalesce(n_workers, filled_posts) * share) filter (where not withheld), 0) as n_workers_published,
        sum(weight) filter (where not withheld and turnover_rate is not null) as turnover_weight,
        sum(turnover_rate * weight) filter (where not withheld) as turnover_weighted,
        sum(weight) filter (where not withheld and vacancy_rate is not null) as vacancy_weight,
        sum(vacancy_rate * weight) filter (where not withheld) as vacancy_weighted,
        sum(weight) filter (where not withheld and sickness_days_per_worker is not null) as sickness_weight,
        sum(sickness_days_per_worker * weight) filter (where not withheld) as sickness_weighted
    from both_bases
    group by icb_code, year, boundary_basis
),

cells as (
    select
        concat_ws('|', boundary_basis, icb_code, year) as cell_id,
        n_workers_published as cell_size,
        n_workers_published < {{ var('social_care_min_workers') }} as is_primary
    from ics_year
),

relations as (
    -- an ICS today = the sum of the 2022 ICSs restated to it
    select distinct
        concat_ws('|', 'restated', icb_code, year) as relation_id,
        concat_ws('|', 'as_at', share_icb_code, year) as cell_id,
        false as is_total
    from both_bases
    where boundary_basis = 'current' and not withheld
    union all
    select distinct concat_ws('|', 'restated', icb_code, year), concat_ws('|', 'current', icb_code, year), true
    from both_bases
    where boundary_basis = 'current' and not withheld
),

protected as (
    {{ disclosure_control(cells='cells', relations='relations') }}
),

names as (
    {{ ics_names() }}
),

final as (
    select
        i.icb_code,
        n.icb_name,
        n.region_code,
        i.year,
        i.boundary_basis,
        '{{ var("la_icb_share_boundary_date") }}'::date as mapping_version,
        i.n_las,
        i.n_las_withheld,
        p.suppressed,
        case
            when p.primary_withheld then 'fewer than {{ var("social_care_min_workers") }} workers'
            when p.complementary_withheld then 'complementary: protects a withheld ICS of the same total'
        end as suppression_reason,
        case when not p.suppressed then i.filled_posts end as filled_posts,
        case when not p.suppressed then i.n_workers end as n_workers,
        case when not p.suppressed then i.turnover_weight end as turnover_weight,
        case when not p.suppressed then i.turnover_weighted / nullif(i.turnover_weight, 0) end as asc_turnover_rate,
        case when not p.suppressed then i.vacancy_weighted / nullif(i.vacancy_weight, 0) end as asc_vacancy_rate,
        case when not p.suppressed then i.sickness_weighted / nullif(i.sickness_weight, 0) end
            as asc_sickness_days_per_worker
    from ics_year as i
    inner join protected as p on p.cell_id = concat_ws('|', i.boundary_basis, i.icb_code, i.year)
    left join names as n on n.icb_code = i.icb_code
)

{{ select_contract_columns('final') }}
