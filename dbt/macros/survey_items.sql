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

{#
  Percentages of the item-based measures from per-item sums of positive and base (METRICS.md, survey): for each
  measure, the mean over its items present of 100 x positive / base, and the mean base. Organisation and ICS
  models aggregate their own item rows with these, so both levels follow one rule.
#}
{% macro survey_item_measure_columns() %}
    {%- set measures = [('psi', 'psi_pct_positive', 'psi_base'),
                        ('burnout', 'burnout_pct_often_always', 'burnout_base'),
                        ('stress', 'pct_unwell_stress', 'stress_base')] -%}
    {%- for measure, pct_column, base_column in measures %}
    avg(100 * positive / base) filter (where item_key in {{ survey_items(measure) }}) as {{ pct_column }},
    avg(base) filter (where item_key in {{ survey_items(measure) }}) as {{ base_column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
