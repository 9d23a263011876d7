{#
  The rows of `relation` that raise an alert: each ICS's latest period on each basis (period_column: period_month
  or survey_year, among rows where `where` holds), when `flag` holds there, with alert_since = the first period of
  the unbroken run of the series' periods, up to that latest one, in which `flag` held (a period where it did
  not ends a run).
#}
{% macro latest_alert(relation, flag, period_column, where='true') %}
    select r.*, s.alert_since
    from (
        select
            icb_code,
            boundary_basis,
            max({{ period_column }}) as latest_period,
            -- the start of the run: the period after the last one without the flag, counted back along the series
            min({{ period_column }}) filter (where run_length_back = position_back) as alert_since
        from (
            select
                icb_code,
                boundary_basis,
                {{ period_column }},
                row_number() over newest_first as position_back,
                count(*) filter (where coalesce({{ flag }}, false)) over (newest_first rows unbounded preceding)
                    as run_length_back
            from {{ relation }}
            where {{ where }}
            window newest_first as (partition by icb_code, boundary_basis order by {{ period_column }} desc)
        )
        group by icb_code, boundary_basis
    ) as s
    inner join {{ relation }} as r
        on r.icb_code = s.icb_code and r.boundary_basis = s.boundary_basis and r.{{ period_column }} = s.latest_period
    where coalesce({{ flag }}, false)
{% endmacro %}
