-- ref_icb: valid_to not before valid_from, and no two rows of the same ICB overlapping in
-- time. (Uniqueness of (icb_code, valid_from) is a unique_combination test in _seeds.yml.)
-- Returns offending rows.
with icb as (
    select icb_code, icb_ons_code, valid_from, coalesce(valid_to, date '9999-12-31') as valid_to_
    from {{ ref('ref_icb') }}
)
select a.icb_code, a.icb_ons_code, a.valid_from, 'overlaps ' || b.icb_ons_code as problem
from icb a
join icb b
  on a.icb_code = b.icb_code
 and a.icb_ons_code <> b.icb_ons_code
 and a.valid_from <= b.valid_to_
 and b.valid_from <= a.valid_to_
union all
select icb_code, icb_ons_code, valid_from, 'valid_to before valid_from'
from icb
where valid_to_ < valid_from
