-- Early warnings for the latest month (METRICS.md, alerts): one row per ICS, boundary basis and reason, with
-- the evidence on the row. Reasons:
--   bri_high                       BRI band high in the latest month of ics_burnout_risk;
--   sickness_special_cause_concern SPC concern on the monthly sickness rate in its latest month;
--   leavers_special_cause_concern  SPC concern on the monthly leaver rate in its latest month;
--   psi_significant_fall           psi_pct_positive fell significantly (z-test, 5%) in the latest survey year.
with bri as (
    select *
    from {{ ref('ics_burnout_risk') }}
    where period_month = (select max(period_month) from {{ ref('ics_burnout_risk') }})
        and bri_band = 'high'
),

sickness as (
    select *
    from {{ ref('ics_sickness_monthly') }}
    where period_month = (select max(period_month) from {{ ref('ics_sickness_monthly') }})
        and spc_signal = 'special_cause_concern'
),

leavers as (
    select *
    from {{ ref('ics_turnover_monthly') }}
    where period_month = (select max(period_month) from {{ ref('ics_turnover_monthly') }})
        and spc_signal = 'special_cause_concern'
),

speaking_up as (
    select *
    from {{ ref('ics_psychological_safety') }}
    where survey_year = (select max(survey_year) from {{ ref('ics_psychological_safety') }} where n_orgs is not null)
        and psi_pct_positive_significant and psi_pct_positive_change < 0
),

alerts as (
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'bri_high' as alert_reason,
        period_month,
        survey_year_used as survey_year,
        'bri' as measure,
        bri as value,
        null::double as previous_value,
        null::double as spc_centre,
        null::double as spc_lower_limit,
        null::double as spc_upper_limit,
        null::varchar as spc_rule,
        null::double as z_score,
        bri,
        bri_band,
        bri_dominant_component,
        'BRI ' || round(bri, 1) || ' (high from {{ var("bri_high_from") }}); largest weighted rank: '
            || bri_dominant_component || '; ' || n_components || ' components' as evidence
    from bri
    union all
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'sickness_special_cause_concern', period_month, null, 'sickness_rate', sickness_rate, null,
        spc_centre, spc_lower_limit, spc_upper_limit, spc_rule, null, null, null, null,
        'sickness rate ' || round(sickness_rate, 2) || '% (centre ' || round(spc_centre, 2) || '%, limits '
            || round(spc_lower_limit, 2) || '-' || round(spc_upper_limit, 2) || '%), rule: ' || spc_rule
    from sickness
    union all
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'leavers_special_cause_concern', period_month, null, 'leaver_rate', leaver_rate, null,
        spc_centre, spc_lower_limit, spc_upper_limit, spc_rule, null, null, null, null,
        'leaver rate ' || round(leaver_rate, 2) || '% (centre ' || round(spc_centre, 2) || '%, limits '
            || round(spc_lower_limit, 2) || '-' || round(spc_upper_limit, 2) || '%), rule: ' || spc_rule
    from leavers
    union all
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'psi_significant_fall', null, survey_year, 'psi_pct_positive', psi_pct_positive,
        psi_pct_positive - psi_pct_positive_change,
        null, null, null, null, psi_pct_positive_z, null, null, null,
        'speaking up % positive ' || round(psi_pct_positive, 1) || '% in ' || survey_year || ', down '
            || round(-psi_pct_positive_change, 1) || ' points on ' || (survey_year - 1) || ' (z = '
            || round(psi_pct_positive_z, 2) || ')'
    from speaking_up
)

{{ select_contract_columns('alerts') }}
