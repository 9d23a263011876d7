{#
  The final select of a contracted mart: every column its YAML declares, in that order, cast to the declared
  data_type, so the published types do not drift with the types of upstream sums (e.g. HUGEINT).
  A dbt unit test renders the model without its YAML columns; then every column is selected as it is.
#}
{% macro select_contract_columns(relation) %}
    {%- if model.columns %}
    select
        {%- for column in model.columns.values() %}
        {{ column.name }}::{{ column.data_type }} as {{ column.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{% endmacro %}
