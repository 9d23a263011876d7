{#
  Name and type of each organisation: dim_organisation (latest membership row), else the name the published
  Staff Survey results give it (2021 CCG codes and trust sectors are in no organisation reference).
#}
{% macro org_names() %}
    select org_code, any_value(org_name order by priority) as org_name, any_value(org_type order by priority) as org_type
    from (
        select org_code, org_name, org_type, 1 as priority
        from {{ ref('dim_organisation') }}
        where is_latest_membership
        union all
        select org_code, any_value(org_name order by survey_year desc), null, 2 as priority
        from {{ ref('stg_survey__org_results') }}
        where org_name is not null
        group by org_code
    )
    group by org_code
{% endmacro %}
