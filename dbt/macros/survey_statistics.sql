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

{#
  Columns shared by the organisation and ICS survey models (one rule each, so the two levels cannot differ):
  wilson_interval_columns  <measure>_lower and <measure>_upper, the Wilson interval of measure on base;
  previous_year_columns    has_previous_year (the series' previous row is the year just before; a gap year
                           gives no change) and <column>_prev of each (measure, base), and <measure>_basis_prev
                           of an item-based measure (survey_item_basis_columns), over window `window` that orders
                           one series by survey_year;
  year_on_year_columns     <measure>_change (percentage points), <measure>_z when with_z, <measure>_significant;
                           null without a previous year, and for an item-based measure whose basis (route and
                           item set) differs from the previous year's. `prefix` qualifies the input columns
                           (e.g. 'p.').
#}
{% macro has_item_basis(measure) %}
    {%- set pct_columns = [] -%}
    {%- for _, pct_column, _ in survey_item_measures() %}{% do pct_columns.append(pct_column) %}{% endfor -%}
    {%- do return(measure in pct_columns) -%}
{% endmacro %}

{% macro wilson_interval_columns(measure, base, prefix='') %}
    {{ wilson_bound(prefix ~ measure, prefix ~ base, 'lower') }} as {{ measure }}_lower,
    {{ wilson_bound(prefix ~ measure, prefix ~ base, 'upper') }} as {{ measure }}_upper
{%- endmacro %}

{% macro previous_year_columns(measures_and_bases, window='y') %}
    lag(survey_year) over {{ window }} = survey_year - 1 as has_previous_year,
    {%- for measure, base in measures_and_bases %}
    lag({{ measure }}) over {{ window }} as {{ measure }}_prev,
    lag({{ base }}) over {{ window }} as {{ base }}_prev
    {%- if has_item_basis(measure) %},
    lag({{ measure }}_basis) over {{ window }} as {{ measure }}_basis_prev
    {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro year_on_year_columns(measure, base, prefix='', with_z=false) %}
    {%- set z = two_proportion_z(prefix ~ measure, prefix ~ base, prefix ~ measure ~ '_prev', prefix ~ base ~ '_prev') %}
    {%- set comparable = prefix ~ 'has_previous_year' %}
    {%- if has_item_basis(measure) %}
    {%- set comparable = comparable ~ " and coalesce(" ~ prefix ~ measure ~ "_basis, '') = coalesce(" ~ prefix ~ measure ~ "_basis_prev, '')" %}
    {%- endif %}
    case when {{ comparable }} then {{ prefix }}{{ measure }} - {{ prefix }}{{ measure }}_prev end
        as {{ measure }}_change,
    {%- if with_z %}
    case when {{ comparable }} then {{ z }} end as {{ measure }}_z,
    {%- endif %}
    case when {{ comparable }} then {{ is_significant(z) }} end as {{ measure }}_significant
{%- endmacro %}
