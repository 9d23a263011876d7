-- FTE days lost per organisation, month and absence reason. Where the published reason file covers an
-- organisation-month it is used; record-level episodes fill the organisation-months it does not cover.
with published as (
    select
        org_code,
        period_month,
        nullif(trim(reason_code), '') as reason_code,
        fte_days_lost,
        'published' as source_route
    from {{ ref('stg_sickness__reason_monthly') }}
),

record_level as (
    select
        org_code,
        period_month,
        reason_code,
        sum(fte_days_lost) as fte_days_lost,
        'record_level' as source_route
    from {{ ref('int_sickness__episode_months') }}
    group by org_code, period_month, reason_code
)

{{ route_precedence('published', 'record_level', ['org_code', 'period_month']) }}
