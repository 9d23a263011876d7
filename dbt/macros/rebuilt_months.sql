{#
  Incremental models by month (pipelines/build_state.py). After a new or corrected month the pipeline passes, in
  the var rebuild_from, the first month each incremental model must rebuild: the earliest month whose raw rows
  changed upstream of it. The model deletes its rows from that month on (pre-hook) and inserts them again from
  its inputs of those months. With no month given (a full refresh, a first build, dbt run by hand) every month is
  rebuilt.
#}
{% macro rebuilt_months(column, months_before=0) -%}
    {%- set since = var('rebuild_from', {}).get(model.name) if is_incremental() else none -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ column }} >= date '{{ since }}'{{ ' - interval ' ~ months_before ~ ' month' if months_before }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_rebuilt_months(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ rebuilt_months(column) }}
    {%- endif -%}
{%- endmacro %}
