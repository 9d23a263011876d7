-- Which ICS each organisation in the published NHS Staff Survey results belongs to, on both boundary bases, or
-- why it is outside any ICS. The survey keys organisations differently by year, so the first rule that applies
-- wins:
--   published_ics_name: the ICS name the publisher gave the row (2022 on) equals an ICB's icb_name;
--   is_icb:             the organisation is an ICB itself;
--   ccg21_lookup:       2021 CCG codes (merged ones such as 01T/01V split on '/'), all in one ICB by ref_ccg21_icb;
--   membership:         the organisation's ICB membership at fieldwork, else its membership nearest in time;
--   parent_organisation: the same for the organisation whose ODS code starts the published one (the survey
--                       splits some trusts into sectors, e.g. R1F1 ... R1F4 for R1F);
--   name_in_year:       the published ICS name (e.g. a 2021 STP long name) that the rows placed above, in the same
--                       year, tie to one ICB only.
-- The current basis follows the organisation's own latest membership when it has one, else the ICB's successors.
with survey_orgs as (
    select distinct
        survey_year,
        org_code,
        published_icb_name,
        -- fieldwork runs from September to November: membership is taken as at 1 October
        make_date(survey_year, 10, 1) as fieldwork_date
    from {{ ref('stg_survey__org_results') }}
),

dim_ics as (
    select * from {{ ref('dim_ics') }}
),

icb_by_name as (
    -- names that identify one ICB code (re-coded ICBs have several rows but one code)
    select icb_name, min(icb_code) as icb_code
    from dim_ics
    where icb_name is not null
    group by icb_name
    having count(distinct icb_code) = 1
),

ccg_parts as (
    select s.survey_year, s.org_code, trim(part.ccg_code) as ccg_code, c.icb_code
    from survey_orgs as s
    cross join unnest(string_split(s.org_code, '/')) as part (ccg_code)
    left join {{ ref('ref_ccg21_icb') }} as c on c.ccg_code = trim(part.ccg_code)
),

by_ccg as (
    select
        survey_year,
        org_code,
        count(*) filter (where icb_code is null) as unknown_parts,
        count(*) filter (where icb_code is not null) as known_parts,
        count(distinct icb_code) as n_icbs,
        min(icb_code) as icb_code,
        string_agg(distinct icb_code, ', ' order by icb_code) as icb_codes
    from ccg_parts
    group by survey_year, org_code
),

membership as (
    select * from {{ ref('int_org_icb_membership') }}
),

by_membership as (
    -- the interval holding the fieldwork date, else the one nearest to it; of the organisation itself, else of
    -- the longest ODS code that starts the published code
    select
        s.survey_year,
        s.org_code,
        arg_min(
            m.icb_code,
            (length(s.org_code) - length(m.org_code)) * 100000 + case
                when s.fieldwork_date < m.valid_from then m.valid_from - s.fieldwork_date
                when m.valid_to is not null and s.fieldwork_date >= m.valid_to then s.fieldwork_date - m.valid_to + 1
                else 0
            end
        ) as icb_code,
        arg_min(m.current_icb_code, length(s.org_code) - length(m.org_code)) as current_icb_code,
        min(length(s.org_code) - length(m.org_code)) = 0 as is_own
    from survey_orgs as s
    inner join membership as m
        on s.org_code = m.org_code
        or (length(m.org_code) >= 3 and starts_with(s.org_code, m.org_code))
    group by s.survey_year, s.org_code
),

placed as (
    select
        s.survey_year,
        s.org_code,
        s.published_icb_name,
        case
            when n.icb_code is not null then n.icb_code
            when i.icb_code is not null then s.org_code
            when c.known_parts > 0 and c.unknown_parts = 0 and c.n_icbs = 1 then c.icb_code
            when c.known_parts > 0 then null
            else m.icb_code
        end as icb_code,
        case
            when n.icb_code is not null then 'published_ics_name'
            when i.icb_code is not null then 'is_icb'
            when c.known_parts > 0 and c.unknown_parts = 0 and c.n_icbs = 1 then 'ccg21_lookup'
            when c.known_parts > 0 then null
            when m.is_own then 'membership'
            when m.icb_code is not null then 'parent_organisation'
        end as resolved_via,
        case
            when n.icb_code is not null or i.icb_code is not null then null
            when c.known_parts > 0 and c.unknown_parts > 0
                then 'CCG codes partly missing from the 2021 CCG lookup (ref_ccg21_icb)'
            when c.known_parts > 0 and c.n_icbs > 1
                then 'merged CCG code spans several ICBs (' || c.icb_codes || ')'
        end as ccg_problem,
        m.current_icb_code as org_current_icb_code
    from survey_orgs as s
    left join icb_by_name as n on n.icb_name = s.published_icb_name
    left join (select distinct icb_code from dim_ics) as i on i.icb_code = s.org_code
    left join by_ccg as c on c.survey_year = s.survey_year and c.org_code = s.org_code
    left join by_membership as m on m.survey_year = s.survey_year and m.org_code = s.org_code
),

names_in_year as (
    -- published ICS names that the placed rows of a year tie to exactly one ICB
    select survey_year, published_icb_name, min(icb_code) as icb_code
    from placed
    where icb_code is not null and published_icb_name is not null
        and icb_code <> '{{ var("outside_ics_code") }}'
    group by survey_year, published_icb_name
    having count(distinct icb_code) = 1
),

as_at as (
    select
        p.survey_year,
        p.org_code,
        coalesce(p.icb_code, case when p.ccg_problem is null then y.icb_code end) as icb_code,
        case when p.icb_code is null and p.ccg_problem is null and y.icb_code is not null then 'name_in_year'
            else p.resolved_via end as resolved_via,
        p.ccg_problem,
        p.org_current_icb_code
    from placed as p
    left join names_in_year as y
        on y.survey_year = p.survey_year and y.published_icb_name = p.published_icb_name
),

icb_today as (
    select distinct icb_code, current_icb_code from dim_ics
),

bases as (
    select
        a.survey_year, a.org_code, 'as_at' as boundary_basis, a.icb_code, a.resolved_via, a.ccg_problem
    from as_at as a
    union all
    select
        a.survey_year,
        a.org_code,
        'current',
        case when a.icb_code is not null then coalesce(a.org_current_icb_code, t.current_icb_code) end,
        a.resolved_via,
        a.ccg_problem
    from as_at as a
    left join icb_today as t on t.icb_code = a.icb_code
)

select
    b.survey_year,
    b.org_code,
    b.boundary_basis,
    case when b.icb_code <> '{{ var("outside_ics_code") }}' then b.icb_code end as icb_code,
    b.resolved_via,
    case
        when b.ccg_problem is not null then b.ccg_problem
        when b.icb_code = '{{ var("outside_ics_code") }}'
            then 'outside any ICS (QZZ): a CSU, special health authority, Welsh or other body'
        when b.resolved_via is null
            then 'not an ICB, not in the 2021 CCG lookup, in no ODS snapshot or publisher file, and no ICS name'
        when b.icb_code is null
            then 'its ICB has since been split or abolished and no successor organisation places it today'
    end as outside_reason,
    (select max(mapping_version) from membership) as mapping_version
from bases as b
