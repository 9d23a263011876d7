-- Early warnings (METRICS.md, alerts): one row per ICS, boundary basis and reason, for that ICS's own latest month
-- (or survey year) on that basis, with the evidence on the row and alert_since, the first month (or year) of the
-- unbroken run of months in which the reason has held. Reasons:
--   bri_high                       BRI band high;
--   sickness_special_cause_concern SPC concern on the monthly sickness rate;
--   leavers_special_cause_concern  SPC concern on the monthly leaver rate;
--   psi_significant_fall           psi_pct_positive fell significantly (z-test, 5%) in the ICS's latest survey year.
-- On the current basis only ICBs that exist today alert (an abolished ICB's history is restated to its successor).
with today as (
    select distinct icb_code from {{ ref('dim_ics') }} where valid_to is null
),

{%- for name, relation, flag in [
    ('bri', 'ics_burnout_risk', "bri_band = 'high'"),
    ('sickness', 'ics_sickness_monthly', "spc_signal = 'special_cause_concern'"),
    ('leavers', 'ics_turnover_monthly', "spc_signal = 'special_cause_concern'")] %}

{{ name }} as (
    {{ latest_alert(ref(relation), flag, 'period_month') }}
),
{%- endfor %}

speaking_up as (
    {{ latest_alert(ref('ics_psychological_safety'), 'psi_pct_positive_significant and psi_pct_positive_change < 0',
        'survey_year', 'n_orgs is not null') }}
),

alerts as (
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'bri_high' as alert_reason,
        period_month,
        alert_since,
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
        'sickness_special_cause_concern', period_month, alert_since, null, 'sickness_rate', sickness_rate, null,
        spc_centre, spc_lower_limit, spc_upper_limit, spc_rule, null, null, null, null,
        'sickness rate ' || round(sickness_rate, 2) || '% (centre ' || round(spc_centre, 2) || '%, limits '
            || round(spc_lower_limit, 2) || '-' || round(spc_upper_limit, 2) || '%), rule: ' || spc_rule
    from sickness
    union all
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'leavers_special_cause_concern', period_month, alert_since, null, 'leaver_rate', leaver_rate, null,
        spc_centre, spc_lower_limit, spc_upper_limit, spc_rule, null, null, null, null,
        'leaver rate ' || round(leaver_rate, 2) || '% (centre ' || round(spc_centre, 2) || '%, limits '
            || round(spc_lower_limit, 2) || '-' || round(spc_upper_limit, 2) || '%), rule: ' || spc_rule
    from leavers
    union all
    select
        icb_code, icb_name, region_code, boundary_basis, mapping_version,
        'psi_significant_fall', null, make_date(alert_since, {{ var('survey_fieldwork_month') }}, 1), survey_year, 'psi_pct_positive', psi_pct_positive,
        psi_pct_positive - psi_pct_positive_change,
        null, null, null, null, psi_pct_positive_z, null, null, null,
        'speaking up % positive ' || round(psi_pct_positive, 1) || '% in ' || survey_year || ', down '
            || round(-psi_pct_positive_change, 1) || ' points on ' || (survey_year - 1) || ' (z = '
            || round(psi_pct_positive_z, 2) || ')'
    from speaking_up
),

current_icbs_only as (
    select * from alerts
    where boundary_basis = 'as_at' or icb_code in (select icb_code from today)
)

{{ select_contract_columns('current_icbs_only') }}
