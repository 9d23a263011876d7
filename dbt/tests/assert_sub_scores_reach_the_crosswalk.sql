-- Issue 9 item 7: a published sub-score can reach psi_score / burnout_score only if the crosswalk keys it with
-- the item_key int_survey__org_yearly reads (vars psi_sub_score_item_key, burnout_sub_score_item_key) in every
-- survey year the crosswalk covers. Fails with each (year, key) that has no crosswalk row.
with years as (
    select distinct survey_year from {{ ref('survey_question_crosswalk') }}
),

keys as (
    select unnest(['{{ var("psi_sub_score_item_key") }}', '{{ var("burnout_sub_score_item_key") }}']) as item_key
)

select y.survey_year, k.item_key
from years as y
cross join keys as k
anti join {{ ref('survey_question_crosswalk') }} as c
    on c.survey_year = y.survey_year and c.item_key = k.item_key and c.scale = 'score10'
