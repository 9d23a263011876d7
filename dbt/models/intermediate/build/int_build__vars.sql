-- Every var this build ran with (dbt_project.yml, or --vars over it), as JSON: the mart gate re-checks the
-- marts against the same thresholds, and publish records them with the snapshot.
{%- set names = [
    "min_respondents", "sickness_min_fte_days_available", "social_care_min_workers", "disclosure_passes",
    "rolling_window_months", "outside_ics_code", "mental_health_reason_code", "unknown_reason_code",
    "long_term_absence_days", "sickness_routes_max_rate_difference", "all_staff_groups", "nhs_destinations",
    "survey_fieldwork_month", "psi_min_items", "cbi_min_items", "high_burnout_cbi_threshold",
    "psi_sub_score_item_key", "burnout_sub_score_item_key", "spc_baseline_points", "spc_min_points",
    "bri_weights", "bri_min_components", "bri_moderate_from", "bri_high_from", "la_icb_share_boundary_date",
] %}
{%- for name in names %}
    select
        '{{ name }}' as var_name,
        '{{ tojson(var(name)) | replace("'", "''") }}' as value_json
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
