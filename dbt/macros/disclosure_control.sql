{#
  Disclosure control (METRICS.md): primary and complementary suppression of cells within parents.
  `cells` has one row per cell and parent it adds up to (a cell may sit in several parents, e.g. its ICS on
  both boundary bases; a null parent_key means no published parent). A cell is withheld when
  `primary_column` is true; and when exactly one cell of a parent is withheld, the smallest other cell of
  that parent (by size_column, then the cell columns) is withheld too, so the withheld value cannot be
  recovered by subtracting the others from the parent total.
  Returns one row per cell: the cell columns, primary_withheld, complementary_withheld, suppressed.
#}
{% macro disclosure_control(cells, cell_columns, parent_key, size_column, primary_column) %}
    {%- set cell_list = cell_columns | join(', ') -%}
    with cell_parents as (
        select
            {{ cell_list }},
            {{ parent_key }} as parent_key,
            {{ size_column }} as cell_size,
            coalesce({{ primary_column }}, false) as is_primary
        from {{ cells }}
    ),

    ranked as (
        select
            *,
            count(*) filter (where is_primary) over (partition by parent_key) as withheld_in_parent,
            row_number() over (partition by parent_key, is_primary order by cell_size, {{ cell_list }}) as size_order
        from cell_parents
    ),

    flagged as (
        select
            {{ cell_list }},
            bool_or(is_primary) as primary_withheld,
            bool_or(parent_key is not null and not is_primary and withheld_in_parent = 1 and size_order = 1)
                as complementary_withheld
        from ranked
        group by {{ cell_list }}
    )

    select *, primary_withheld or complementary_withheld as suppressed
    from flagged
{% endmacro %}

{#
  How a survey cell's respondent count is shown: the count when published; when withheld, "<min_respondents"
  if it is small itself, else "withheld" (complementary suppression), so the label never reveals the count.
#}
{% macro n_respondents_label(n_respondents, suppressed) %}
    case when {{ suppressed }} then
        case when {{ n_respondents }} < {{ var('min_respondents') }} then '<{{ var("min_respondents") }}' else 'withheld' end
        else {{ n_respondents }}::varchar end
{%- endmacro %}
