{#
  Rolling windows (METRICS.md): a 12-month figure covers the rolling_window_months months ending at
  period_month and is published only when every month of the window is there; otherwise its reason says how
  many were. Organisation and ICS models, sickness and turnover, all use these so the rule cannot drift.
  rolling_window            the window spec: within partition_by, the months up to and including period_month;
  when_window_complete      value when months_in_window is the full window, else null;
  incomplete_window_reason  null when the window is complete, else 'incomplete window: n of 12 months'.
#}
{% macro rolling_window(partition_by) %}
    partition by {{ partition_by }} order by period_month
    range between interval {{ var('rolling_window_months') - 1 }} month preceding and current row
{%- endmacro %}

{% macro when_window_complete(months_in_window, value) %}
    case when {{ months_in_window }} = {{ var('rolling_window_months') }} then {{ value }} end
{%- endmacro %}

{% macro incomplete_window_reason(months_in_window) %}
    {%- set months = var('rolling_window_months') -%}
    case when {{ months_in_window }} < {{ months }}
        then 'incomplete window: ' || {{ months_in_window }} || ' of {{ months }} months' end
{%- endmacro %}
