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
