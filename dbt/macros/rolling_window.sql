{#
  Rolling windows (METRICS.md): a 12-month figure covers the rolling_window_months months ending at
  period_month and is published only when every month of the window is there; otherwise its reason says how
  many were. Organisation and ICS models, sickness and turnover, all use these so the rule cannot drift.
  rolling_window            the window spec: within partition_by, the months up to and including period_month;
  when_window_complete      value when months_in_window is the full window (and, for an ICS, when every
                            organisation in the window is there in every month of it), else null;
  incomplete_window_reason  null when the window is complete, else 'incomplete window: n of 12 months' or, for an
                            ICS, 'incomplete window: k of m organisation-months';
  ics_window_organisations  per ICS, basis and month: the organisations with a row in the window ending that month
                            (orgs_in_window) and their organisation-months (org_months_in_window). An ICS window is
                            complete only when org_months_in_window = 12 x orgs_in_window: an organisation missing
                            from one end of the window would otherwise bias the rate.
#}
{% macro rolling_window(partition_by) %}
    partition by {{ partition_by }} order by period_month
    range between interval {{ var('rolling_window_months') - 1 }} month preceding and current row
{%- endmacro %}

{% macro organisations_complete(org_months_in_window, orgs_in_window) -%}
    coalesce({{ org_months_in_window }} = {{ var('rolling_window_months') }} * {{ orgs_in_window }}, false)
{%- endmacro %}

{% macro when_window_complete(months_in_window, value, org_months_in_window=none, orgs_in_window=none) %}
    case when {{ months_in_window }} = {{ var('rolling_window_months') }}
        {%- if org_months_in_window %} and {{ organisations_complete(org_months_in_window, orgs_in_window) }}{% endif %}
        then {{ value }} end
{%- endmacro %}

{% macro incomplete_window_reason(months_in_window, org_months_in_window=none, orgs_in_window=none) %}
    {%- set months = var('rolling_window_months') -%}
    case when {{ months_in_window }} < {{ months }}
        then 'incomplete window: ' || {{ months_in_window }} || ' of {{ months }} months'
        {%- if org_months_in_window %}
        when not {{ organisations_complete(org_months_in_window, orgs_in_window) }}
        then 'incomplete window: ' || {{ org_months_in_window }} || ' of ' || {{ months }} * {{ orgs_in_window }}
            || ' organisation-months'
        {%- endif %}
        end
{%- endmacro %}

{% macro ics_window_organisations(org_months) %}
    with placed as (
        select distinct icb_code, boundary_basis, period_month, org_code
        from ({{ with_boundary_bases(org_months, 'period_month') }})
        where icb_code <> '{{ var("outside_ics_code") }}'
    ),

    window_ends as (
        select distinct icb_code, boundary_basis, period_month from placed
    )

    select
        e.icb_code,
        e.boundary_basis,
        e.period_month,
        count(distinct p.org_code) as orgs_in_window,
        count(*) as org_months_in_window
    from window_ends as e
    inner join placed as p
        on p.icb_code = e.icb_code and p.boundary_basis = e.boundary_basis
        and p.period_month > e.period_month - interval {{ var('rolling_window_months') }} month
        and p.period_month <= e.period_month
    group by e.icb_code, e.boundary_basis, e.period_month
{% endmacro %}
