{# The latest name and region of each ICB code (dim_ics keeps one row per validity interval). #}
{% macro ics_names() %}
    select
        icb_code,
        any_value(icb_name order by valid_from desc) as icb_name,
        any_value(region_code order by valid_from desc) as region_code
    from {{ ref('dim_ics') }}
    group by icb_code
{% endmacro %}
