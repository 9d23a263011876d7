{#
  Disclosure control (METRICS.md): one iterative procedure over every published additive relation.
  `cells`      one row per published cell: cell_id (varchar), cell_size (what "smallest" means), is_primary (the
               cell breaks its threshold by itself).
  `relations`  one row per member of an additive relation total = sum of parts: relation_id, cell_id, is_total.
               A cell can sit in many relations (an organisation is a part of its ICS on each boundary basis and
               the total of its staff groups).
  An attacker who knows every published cell can solve any relation with exactly one withheld member, so:
  pass after pass, every relation with exactly one withheld member withholds one more member - the smallest
  published part (by cell_size, then cell_id), or the total when every part is withheld - until no relation has
  exactly one withheld member. A withheld total therefore withholds one of its own parts, and a part withheld
  as a complement in one relation is re-checked in every other relation it sits in (its ICS on the other basis,
  its own staff groups). The passes are unrolled `passes` times (var disclosure_passes); in_exposed_relation
  says whether the cell still sits in a relation with exactly one withheld member afterwards, which a data test
  forbids (more passes would be needed).
  Returns one row per cell: cell_id, primary_withheld, complementary_withheld, suppressed, in_exposed_relation.
#}
{% macro disclosure_control(cells, relations, passes=var('disclosure_passes')) %}
    with dc_cells as (
        select cell_id, cell_size, coalesce(is_primary, false) as is_primary from {{ cells }}
    ),

    dc_members as materialized (
        select r.relation_id, r.cell_id, r.is_total, c.cell_size
        from {{ relations }} as r
        inner join dc_cells as c using (cell_id)
    ),

    dc_pass_0 as (
        select cell_id, is_primary as withheld from dc_cells
    ),
    {%- for pass in range(1, passes + 1) %}

    dc_pass_{{ pass }} as materialized (
        with state as (
            select m.*, p.withheld
            from dc_members as m
            inner join dc_pass_{{ pass - 1 }} as p using (cell_id)
        ),

        exposed as (
            select relation_id from state group by relation_id having count(*) filter (where withheld) = 1
        ),

        complements as (
            select distinct cell_id
            from (
                select
                    s.cell_id,
                    row_number() over (partition by s.relation_id order by s.is_total, s.cell_size, s.cell_id) as size_order
                from state as s
                semi join exposed as e using (relation_id)
                where not s.withheld
            )
            where size_order = 1
        )

        select p.cell_id, p.withheld or c.cell_id is not null as withheld
        from dc_pass_{{ pass - 1 }} as p
        left join complements as c using (cell_id)
    ),
    {%- endfor %}

    dc_exposed as (
        select distinct m.cell_id
        from dc_members as m
        semi join (
            select m.relation_id
            from dc_members as m
            inner join dc_pass_{{ passes }} as p using (cell_id)
            group by m.relation_id
            having count(*) filter (where p.withheld) = 1
        ) as e using (relation_id)
    )

    select
        c.cell_id,
        c.is_primary as primary_withheld,
        p.withheld and not c.is_primary as complementary_withheld,
        p.withheld as suppressed,
        x.cell_id is not null as in_exposed_relation
    from dc_cells as c
    inner join dc_pass_{{ passes }} as p using (cell_id)
    left join dc_exposed as x using (cell_id)
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
