-- Local team pulse surveys (Edmondson 7-item team psychological safety scale, 1-7) per organisation and
-- calendar year of submission. Items 1, 3 and 5 are negatively worded and reverse-scored (8 - x); a
-- response's score is the mean of its 7 items (responses missing an item are not scored); the series is
-- published apart from the Staff Survey as pulse_psi_score = (mean score - 1) / 6 x 10 (0-10).
with scored as (
    select
        org_code,
        team_id,
        year(submitted_at) as pulse_year,
        ((8 - ps1) + ps2 + (8 - ps3) + ps4 + (8 - ps5) + ps6 + ps7) / 7.0 as response_score
    from {{ ref('stg_pulse__responses') }}
    where ps1 is not null and ps2 is not null and ps3 is not null and ps4 is not null
        and ps5 is not null and ps6 is not null and ps7 is not null
)

select
    org_code,
    pulse_year,
    count(*) as pulse_n_responses,
    count(distinct team_id) as pulse_n_teams,
    sum(response_score) as pulse_score_sum,
    (avg(response_score) - 1) / 6 * 10 as pulse_psi_score
from scored
group by org_code, pulse_year
