-- Every published Staff Survey organisation is placed in an ICS or says why not, never both or neither.
-- Returns offending rows.
select survey_year, org_code, boundary_basis, icb_code, outside_reason
from {{ ref('int_survey__org_icb') }}
where (icb_code is null) = (outside_reason is null)
