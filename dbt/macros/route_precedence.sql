{#
  One source route per cell: every row of `preferred`, and the rows of `fallback` only for the cells
  (cell_columns) that `preferred` has no row for. A cell is never counted from both routes, and a route's
  rows for a cell are kept or dropped together. Both relations have the same columns in the same order.
#}
{% macro route_precedence(preferred, fallback, cell_columns) %}
    select * from {{ preferred }}
    union all
    select f.*
    from {{ fallback }} as f
    anti join (select distinct {{ cell_columns | join(', ') }} from {{ preferred }}) as p
        on {% for column in cell_columns %}p.{{ column }} = f.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
{% endmacro %}
