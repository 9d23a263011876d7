-- ref_la_icb_share: every share in (0, 1] and the shares of each local authority summing to 1.
-- (Uniqueness of (la_code, icb_code) is a unique_combination test in _seeds.yml.)
-- Returns offending local authorities.
select la_code, 'share outside (0, 1]' as problem
from {{ ref('ref_la_icb_share') }}
where share <= 0 or share > 1
union all
select la_code, 'shares sum to ' || cast(sum(share) as varchar)
from {{ ref('ref_la_icb_share') }}
group by la_code
having abs(sum(share) - 1) > 1e-9
