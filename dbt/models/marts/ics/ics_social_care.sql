-- Adult social care workforce (Skills for Care, council grain) per ICS, year and boundary basis.
-- Each council is weighted by its filled posts x the share of its population in the ICB: unitary, metropolitan
-- and London councils from seed ref_la_icb_share, county councils (E10, which Skills for Care publish for two-tier
-- areas) from seed ref_county_icb_share, both from the ONS LSOA lookup. Councils with fewer than
-- social_care_min_workers workers are withheld and enter no published figure (not the rates, posts or workers:
-- one column with them and one without would give them away); an ICS whose published workers are fewer than
-- that is withheld. as_at uses the ICB the share tables name; current restates it to today's ICB (dim_ics).
with icb_today as (
    select distinct icb_code, current_icb_code from {{ ref('dim_ics') }}
),

council_shares as (
    select la_code, icb_code, share from {{ ref('ref_la_icb_share') }}
    union all
    select county_code, icb_code, share from {{ ref('ref_county_icb_share') }}
),

la_icb as (
    select
        la.*,
        sh.share,
        sh.icb_code as as_at_icb_code,
        ls.current_icb_code,
        -- workers unknown: filled posts stand in; neither known: withheld (cannot show it is safe)
        coalesce(coalesce(la.n_workers, la.filled_posts) < {{ var('social_care_min_workers') }}, true) as withheld,
        la.filled_posts * sh.share as weight
    from {{ ref('stg_social_care__la_yearly') }} as la
    inner join council_shares as sh on sh.la_code = la.la_code
    left join icb_today as ls on ls.icb_code = sh.icb_code
),

both_bases as (
    select *, 'as_at' as boundary_basis, as_at_icb_code as icb_code from la_icb
    union all
    select *, 'current' as boundary_basis, current_icb_code as icb_code from la_icb
    -- an ICB split since has no single ICB today: its authorities are left out of the current basis
    where current_icb_code is not null
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
        i.n_workers_published < {{ var('social_care_min_workers') }} as suppressed,
        case when i.n_workers_published >= {{ var('social_care_min_workers') }} then i.filled_posts end as filled_posts,
        case when i.n_workers_published >= {{ var('social_care_min_workers') }} then i.n_workers end as n_workers,
        case when i.n_workers_published >= {{ var('social_care_min_workers') }} then i.turnover_weight end as turnover_weight,
        case when i.n_workers_published >= {{ var('social_care_min_workers') }}
            then i.turnover_weighted / nullif(i.turnover_weight, 0) end as asc_turnover_rate,
        case when i.n_workers_published >= {{ var('social_care_min_workers') }}
            then i.vacancy_weighted / nullif(i.vacancy_weight, 0) end as asc_vacancy_rate,
        case when i.n_workers_published >= {{ var('social_care_min_workers') }}
            then i.sickness_weighted / nullif(i.sickness_weight, 0) end as asc_sickness_days_per_worker
    from ics_year as i
    left join names as n on n.icb_code = i.icb_code
)

{{ select_contract_columns('final') }}
