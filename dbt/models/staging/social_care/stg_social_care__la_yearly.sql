with source as (
    select * from {{ source('raw', 'social_care_la') }}
),

scales as (
    -- Skills for Care releases state rates as fractions or as percentages; one load (one file) uses one scale
    select
        _load_id,
        case
            when max(greatest(coalesce(turnover_rate, 0), coalesce(vacancy_rate, 0))) <= 1 then 'fraction'
            else 'percent'
        end as rate_scale_in_file
    from source
    group by _load_id
),

renamed as (
    select
        source.year,
        source.la_code,
        source.filled_posts,
        source.n_workers,
        case when scales.rate_scale_in_file = 'fraction' then source.turnover_rate * 100 else source.turnover_rate end
            as turnover_rate,
        case when scales.rate_scale_in_file = 'fraction' then source.vacancy_rate * 100 else source.vacancy_rate end
            as vacancy_rate,
        source.sickness_days_per_worker,
        scales.rate_scale_in_file
    from source
    inner join scales on scales._load_id = source._load_id
)

select * from renamed
