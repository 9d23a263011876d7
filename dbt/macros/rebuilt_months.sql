{#
  Incremental models by month (pipelines/build_state.py). After a new or corrected month the pipeline passes, in
  the environment variable WELLBEING_REBUILD_FROM (JSON: model -> month), the first month each incremental model
  must rebuild: the earliest month whose raw rows changed upstream of it. The model deletes its rows from that
  month on (pre-hook) and inserts them again from its inputs of those months. With no month given (a full
  refresh, a first build, dbt run by hand) every month is rebuilt. An environment variable, not a dbt var: dbt
  parses the whole project again whenever a var changes (2 s of a new month), and it reads this one only as a
  model runs, never while parsing.
#}
{% macro rebuilt_months(column) -%}
    {%- set since = rebuild_since() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ column }} >= date '{{ since }}'
    {%- endif -%}
{%- endmacro %}

{#
  The rebuilt months and the months a window of `months` before them: a measure comparing a month with the one a
  window earlier reads only those (a new month reads two months of its input, not a whole window of them).
  `relation` holds `column`; its latest month bounds the window starts.
#}
{% macro rebuilt_months_and_window_starts(column, months, relation) -%}
    {%- set since = rebuild_since() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        ({{ column }} >= date '{{ since }}'
            or ({{ column }} >= date '{{ since }}' - interval {{ months }} month
                and {{ column }} <= (select max({{ column }}) from {{ relation }}) - interval {{ months }} month))
    {%- endif -%}
{%- endmacro %}

{% macro rebuild_since() -%}
    {{ return(fromjson(env_var('WELLBEING_REBUILD_FROM', '{}')).get(model.name) if is_incremental() else none) }}
{%- endmacro %}

{% macro delete_rebuilt_months(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ rebuilt_months(column) }}
    {%- endif -%}
{%- endmacro %}
