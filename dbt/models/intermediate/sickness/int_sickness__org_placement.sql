-- The ICS of every organisation-month with sickness figures on each boundary basis (with_boundary_bases), bodies
-- outside any ICS left out: which organisation cells each published ICS sickness total adds up. Disclosure
-- control protects these relations, and the differencing-attack check (expectations/attack.py) attacks them.
select org_code, period_month, boundary_basis, icb_code
from ({{ with_boundary_bases(ref('int_sickness__org_monthly'), 'period_month') }})
where icb_code <> '{{ var("outside_ics_code") }}'
