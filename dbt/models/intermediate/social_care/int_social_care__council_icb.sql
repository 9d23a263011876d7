-- Each council's (Skills for Care, council grain) part of each ICS, year and boundary basis: the share of its
-- population in the ICB and its weight (filled posts x share). Unitary, metropolitan and London councils from seed
-- ref_la_icb_share, county councils (E10, which Skills for Care publish for two-tier areas) from seed
-- ref_county_icb_share, both from the ONS LSOA lookup on 2022 boundaries (la_icb_share_boundary_date). as_at uses
-- the ICB the share tables name; current restates it to today's ICB (dim_ics); an ICB split since has no single ICB
-- today, so its councils are left out of the current basis. A council with fewer than social_care_min_workers
-- workers (filled posts standing in when workers are unknown; neither known: cannot show it is safe) is withheld
-- and enters no published figure. ics_social_care adds these parts up; the differencing attack reads them too.
with icb_today as (
    select distinct icb_code, current_icb_code from {{ ref('dim_ics') }}
),

council_shares as (
    select la_code, icb_code, share from {{ ref('ref_la_icb_share') }}
    union all
    select county_code, icb_code, share from {{ ref('ref_county_icb_share') }}
),

council_icb as (
    select
        la.year,
        la.la_code,
        la.filled_posts,
        la.n_workers,
        la.turnover_rate,
        la.vacancy_rate,
        la.sickness_days_per_worker,
        sh.share,
        sh.icb_code as share_icb_code,
        t.current_icb_code,
        coalesce(coalesce(la.n_workers, la.filled_posts) < {{ var('social_care_min_workers') }}, true) as withheld,
        la.filled_posts * sh.share as weight
    from {{ ref('stg_social_care__la_yearly') }} as la
    inner join council_shares as sh on sh.la_code = la.la_code
    left join icb_today as t on t.icb_code = sh.icb_code
)

{%- set council_columns = 'year, la_code, filled_posts, n_workers, turnover_rate, vacancy_rate, '
    ~ 'sickness_days_per_worker, share, share_icb_code, current_icb_code, withheld, weight' %}
select {{ council_columns }}, 'as_at' as boundary_basis, share_icb_code as icb_code from council_icb
union all
select {{ council_columns }}, 'current' as boundary_basis, current_icb_code as icb_code from council_icb
where current_icb_code is not null
