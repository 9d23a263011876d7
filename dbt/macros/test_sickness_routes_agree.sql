{#
  Generic test: where an organisation-month has both a published and a record-level sickness figure, their
  rates agree to within max_rate_difference percentage points (the publication rounds rates to 2 dp).
  Fails with the organisation-months that disagree.
#}
{% test sickness_routes_agree(model, max_rate_difference) %}
select
    org_code,
    period_month,
    100 * fte_days_lost / fte_days_available as published_rate,
    100 * record_level_fte_days_lost / record_level_fte_days_available as record_level_rate
from {{ model }}
where source_route = 'published'
    and fte_days_available > 0
    and record_level_fte_days_available > 0
    and abs(100 * fte_days_lost / fte_days_available
        - 100 * record_level_fte_days_lost / record_level_fte_days_available) > {{ max_rate_difference }}
{% endtest %}
