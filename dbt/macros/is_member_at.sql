{#
  Join condition: membership row `membership` (int_org_icb_membership) is the ICB organisation `fact` belonged
  to on `date_expression`. Intervals are [valid_from, valid_to), open-ended when valid_to is null, so a date
  falls in exactly one interval of an organisation.
#}
{% macro is_member_at(membership, fact, date_expression) %}
    {{ membership }}.org_code = {{ fact }}.org_code
        and {{ date_expression }} >= {{ membership }}.valid_from
        and ({{ membership }}.valid_to is null or {{ date_expression }} < {{ membership }}.valid_to)
{%- endmacro %}
