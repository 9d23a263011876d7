{#
  Uncertainty of a percentage (METRICS.md, survey), with z = 1.959964 (95%, two-sided):
  wilson_bound   the lower or upper bound (0-100) of the Wilson score interval of pct (0-100) on n responses;
  two_proportion_z  the pooled two-proportion z statistic of a change from pct_0 on n_0 to pct_1 on n_1;
  is_significant |z| > 1.959964, i.e. significant at 5%.
  They return null when a count is missing or zero.
#}

{% macro wilson_bound(pct, n, side) %}
    {%- set z = 1.959963984540054 -%}
    {%- set z2 = z * z -%}
    case when {{ n }} > 0 then 100 * (
        {{ pct }} / 100.0 + {{ z2 }} / (2 * {{ n }})
        {{ '-' if side == 'lower' else '+' }} {{ z }} * sqrt(
            ({{ pct }} / 100.0) * (1 - {{ pct }} / 100.0) / {{ n }} + {{ z2 }} / (4.0 * {{ n }} * {{ n }}))
    ) / (1 + {{ z2 }} / {{ n }}) end
{%- endmacro %}

{% macro two_proportion_z(pct_1, n_1, pct_0, n_0) %}
    {%- set pooled = '((' ~ pct_1 ~ ' * ' ~ n_1 ~ ' + ' ~ pct_0 ~ ' * ' ~ n_0 ~ ') / (100.0 * (' ~ n_1 ~ ' + ' ~ n_0 ~ ')))' -%}
    (({{ pct_1 }} - {{ pct_0 }}) / 100.0) / nullif(sqrt(
        {{ pooled }} * (1 - {{ pooled }}) * (1.0 / nullif({{ n_1 }}, 0) + 1.0 / nullif({{ n_0 }}, 0))
    ), 0)
{%- endmacro %}

{% macro is_significant(z) %}
    abs({{ z }}) > 1.959963984540054
{%- endmacro %}
