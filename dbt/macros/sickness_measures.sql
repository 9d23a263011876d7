{#
  Sickness measures (METRICS.md, sickness): ratios of sums of FTE days (never means of rates), in %, null
  when the denominator is zero. The organisation mart and the ICS roll-up share them so they cannot disagree.
  sickness_rate          days lost / days available;
  mh_absence_share       mental-health days lost / days lost with a known reason;
  reason_unknown_share   days lost whose reason is unknown / days lost with a reason record;
  sickness_days_per_fte  days lost per FTE over a period of period_days calendar days: days lost / (days available /
                         period_days), e.g. a 12-month window gives days lost per FTE per year, the unit Skills for
                         Care use for social care (sickness days per worker); NHS days are calendar days;
  sickness_window_columns  the sums a 12-month sickness rate needs, over a rolling_window named `window`
                         (every month present counts towards the window).
#}
{% macro sickness_rate(fte_days_lost, fte_days_available) %}
    (100 * {{ fte_days_lost }} / nullif({{ fte_days_available }}, 0))
{%- endmacro %}

{% macro sickness_days_per_fte(fte_days_lost, fte_days_available, period_days) %}
    ({{ fte_days_lost }} / nullif({{ fte_days_available }} / {{ period_days }}, 0))
{%- endmacro %}

{% macro mh_absence_share(mh_fte_days_lost, known_reason_fte_days_lost) %}
    (100 * {{ mh_fte_days_lost }} / nullif({{ known_reason_fte_days_lost }}, 0))
{%- endmacro %}

{% macro reason_unknown_share(reason_fte_days_lost, known_reason_fte_days_lost) %}
    (100 * ({{ reason_fte_days_lost }} - {{ known_reason_fte_days_lost }}) / nullif({{ reason_fte_days_lost }}, 0))
{%- endmacro %}

{% macro sickness_window_columns(window) %}
    count(*) over {{ window }} as months_in_window,
    sum(fte_days_lost) over {{ window }} as fte_days_lost_12m,
    sum(fte_days_available) over {{ window }} as fte_days_available_12m
{%- endmacro %}
