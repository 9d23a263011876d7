{# Staff Survey item keys of each measure (METRICS.md; keys as in the survey_question_crosswalk seed). #}
{% macro survey_items(measure) %}
    {%- set items = {
        'psi': ['raise_unsafe_secure', 'raise_unsafe_addressed', 'speak_up_safe', 'speak_up_addressed'],
        'burnout': ['burnout_exhausting', 'burnout_burnt_out', 'burnout_frustrated', 'burnout_dread_shift',
                    'burnout_worn_out', 'burnout_every_hour', 'burnout_no_energy'],
        'stress': ['unwell_stress'],
    } -%}
    ('{{ items[measure] | join("', '") }}')
{%- endmacro %}

{# The item-based measures: (item set of survey_items, percentage column, base column). #}
{% macro survey_item_measures() %}
    {%- do return([('psi', 'psi_pct_positive', 'psi_base'),
                   ('burnout', 'burnout_pct_often_always', 'burnout_base'),
                   ('stress', 'pct_unwell_stress', 'stress_base')]) -%}
{% endmacro %}

{#
  What each item-based percentage stands on, from organisation-item rows (source_route, item_key):
  <percentage>_basis = "<routes>: <items>", e.g. "published: burnout_burnt_out, burnout_exhausting,
  burnout_frustrated" or "published+respondent_level: ..." for a group mixing routes; null without items. A
  year-on-year change compares two years only on the same basis (year_on_year_columns): a change of route or of
  item set is not a change in staff experience.
#}
{% macro survey_item_basis_columns() %}
    {%- for measure, pct_column, base_column in survey_item_measures() %}
    string_agg(distinct source_route, '+' order by source_route) filter (where item_key in {{ survey_items(measure) }})
        || ': ' || string_agg(distinct item_key, ', ' order by item_key) filter (where item_key in {{ survey_items(measure) }})
        as {{ pct_column }}_basis{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#
  Percentages of the item-based measures from per-item sums of positive and base (METRICS.md, survey): for each
  measure, the mean over its items present of 100 x positive / base, and the mean base. Organisation and ICS
  models aggregate their own item rows with these, so both levels follow one rule.
#}
{% macro survey_item_measure_columns() %}
    {%- for measure, pct_column, base_column in survey_item_measures() %}
    avg(100 * positive / base) filter (where item_key in {{ survey_items(measure) }}) as {{ pct_column }},
    avg(base) filter (where item_key in {{ survey_items(measure) }}) as {{ base_column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#
  Scores of a group of organisations from their int_survey__org_yearly rows (METRICS.md, survey): psi_score and
  burnout_score are the weighted means of organisation scores; pct_high_burnout and n_cbi_scored exist only when
  every organisation of the group is respondent-level (a partial figure would mislead: all or nothing). ICS
  survey cells and the BRI's month cells aggregate with these, so both follow one rule.
#}
{% macro survey_group_score_columns() %}
    sum(psi_score_weight * psi_score) / sum(psi_score_weight) filter (where psi_score is not null) as psi_score,
    sum(burnout_score_weight * burnout_score) / sum(burnout_score_weight) filter (where burnout_score is not null)
        as burnout_score,
    case when bool_and(source_route = 'respondent_level')
        then 100 * coalesce(sum(high_burnout_weight), 0) / sum(cbi_score_weight) end as pct_high_burnout,
    case when bool_and(source_route = 'respondent_level') then sum(n_cbi_scored) end as n_cbi_scored
{%- endmacro %}
