{#
  Turnover (METRICS.md, turnover). The organisation mart and the ICS roll-up share these so they cannot disagree.
  turnover_rate          leavers (or joiners) / mean(staff in post at the start, at the end) x 100, null when
                         that mean is zero; the 12-month leaver rate takes the start of its window;
  stability_index        % of the staff in post at the window's start who are still in post;
  leavers_window_columns the months with published staff in post, the leavers and the staff in post at the
                         window's start, over a rolling_window named `window`;
  turnover_cells         one row per cell of published turnover and record-level figures side by side (a full
                         join on cell_columns: either side may be missing).
#}
{% macro turnover_rate(movers, staff_at_start, staff_at_end) %}
    (100 * {{ movers }} / nullif(({{ staff_at_start }} + {{ staff_at_end }}) / 2, 0))
{%- endmacro %}

{% macro stability_index(staff_still_in_post, staff_at_window_start) %}
    (100 * {{ staff_still_in_post }} / nullif({{ staff_at_window_start }}, 0))
{%- endmacro %}

{% macro leavers_window_columns(window) %}
    count(sip_start_hc) over {{ window }} as months_in_window,
    sum(leavers_hc) over {{ window }} as leavers_hc_12m,
    first_value(sip_start_hc) over {{ window }} as sip_window_start_hc
{%- endmacro %}

{% macro turnover_cells(published, record_level, cell_columns) %}
    select
        {%- for column in cell_columns %}
        coalesce(p.{{ column }}, r.{{ column }}) as {{ column }},
        {%- endfor %}
        p.sip_start_hc,
        p.sip_end_hc,
        p.joiners_hc,
        p.leavers_hc,
        p.sip_start_fte,
        p.sip_end_fte,
        p.joiners_fte,
        p.leavers_fte,
        r.staff_at_window_start,
        r.staff_still_in_post,
        r.record_level_leavers,
        r.leavers_destination_known,
        r.leavers_leaving_nhs
    from {{ published }} as p
    full join {{ record_level }} as r
        on {% for column in cell_columns %}r.{{ column }} = p.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
{% endmacro %}
