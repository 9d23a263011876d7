"""Overview: every ICS in one table for a month - BRI with its components, speaking up, burnout, sickness and
leavers with their SPC signals, social care - with England beside them."""
from __future__ import annotations

import polars as pl
import present
import queries
import streamlit as st
import widgets

st.title("Staff wellbeing by Integrated Care System")
widgets.require_snapshot()
threshold = queries.cached(queries.min_respondents)

basis = widgets.basis_picker("overview_basis")
months = queries.cached(queries.months, basis)["period_month"].to_list()
if not months:
    st.info("No monthly figures have been published yet.")
    st.stop()
left, middle, right = st.columns([1, 2, 1])
month = left.selectbox("Month", months, format_func=present.month_label, key="overview_month")
region_names = queries.cached(queries.regions)["region_name"].to_list()
chosen_regions = middle.multiselect("Regions", region_names, placeholder="All regions", key="overview_regions")
SORTS = {"Burnout Risk Index (highest first)": ("bri", True), "ICS name": ("icb_name", False),
         "Sickness rate (highest first)": ("sickness_rate", True), "Leaver rate (highest first)": ("leaver_rate", True),
         "Speaking up % positive (lowest first)": ("psi_pct_positive", False)}
sort_by = right.selectbox("Sort by", list(SORTS), key="overview_sort")

rows = queries.cached(queries.overview, basis, month)
if chosen_regions:
    rows = rows.filter(pl.col("region_name").is_in(chosen_regions))
column, descending = SORTS[sort_by]
rows = rows.sort(column, descending=descending, nulls_last=True)
england = queries.cached(queries.national_month, basis, month)

st.subheader(f"{present.month_label(month)}, {present.BASES[basis].lower()}")
a, b, c, d = st.columns(4)
a.metric("ICSs shown", rows.height)
if not england.is_empty():
    e = england.row(0, named=True)
    b.metric("England sickness rate", present.percent(e["sickness_rate"], 2))
    c.metric("England leaver rate", present.percent(e["leaver_rate"], 2))
    d.metric("England sickness, 12 months", present.percent(e["sickness_rate_12m"], 2,
                                                            "needs 12 months of figures"))
high = rows.filter(pl.col("bri_band") == "high").height
st.markdown(f"**{high}** of {rows.height} ICSs have a **high** Burnout Risk Index this month "
            "(the index ranks each ICS among all ICSs on seven measures; 100 = most at risk).")


def survey_note(r: dict) -> str | None:
    return None if r["survey_year_used"] is not None else "no Staff Survey fielded before this month"


def row(r: dict) -> dict:
    survey_missing = survey_note(r)
    return {
        "ICS": present.ics_label(r["icb_name"] or r["icb_code"], r["icb_code"], r["valid_to"]),
        "Region": r["region_name"],
        "Burnout Risk Index": present.bri_label(r["bri"], r["bri_band"], r["bri_reason"]),
        "Main driver": (present.BRI_COMPONENTS.get(r["bri_dominant_component"], r["bri_dominant_component"])
                        if r["bri"] is not None else "no index this month"),
        "Survey year": str(r["survey_year_used"]) if r["survey_year_used"] is not None else "none yet",
        "Speaking up, % positive": survey_missing or present.survey_percent(
            r["psi_pct_positive"], r["survey_suppressed"], r["n_respondents_label"], threshold,
            r["psi_pct_positive_lower"], r["psi_pct_positive_upper"]),
        "Speaking up, change": survey_missing or (present.survey_withheld(r["n_respondents_label"], threshold)
                                                  if r["survey_suppressed"] else present.change(
            r["psi_pct_positive_change"], r["psi_pct_positive_significant"])),
        "Burnout, %": survey_missing or present.survey_percent(
            r["pct_high_burnout"] if r["pct_high_burnout"] is not None else r["burnout_pct_often_always"],
            r["survey_suppressed"], r["n_respondents_label"], threshold),
        "Unwell from stress, %": survey_missing or present.survey_percent(
            r["pct_unwell_stress"], r["survey_suppressed"], r["n_respondents_label"], threshold),
        "Sickness rate": present.with_spc(present.percent(r["sickness_rate"], 2), r["sickness_spc_signal"],
                                          r["sickness_spc_reason"]),
        "Sickness, 12 months": present.percent(r["sickness_rate_12m"], 2, r["sickness_rate_12m_reason"]),
        "Leaver rate": present.with_spc(present.percent(r["leaver_rate"], 2), r["leaver_spc_signal"],
                                        r["leaver_spc_reason"]),
        "Leavers, 12 months": present.percent(r["leaver_rate_12m"], 2, r["leaver_rate_12m_reason"]),
        "Social care turnover": ("withheld (fewer than 10 workers)" if r["social_care_suppressed"] else
                                 present.percent(r["asc_turnover_rate"], 1, "no social care figures")),
    }


st.markdown("Symbols: ▲ special cause of concern, ▼ special cause of improvement, ● common cause "
            "(Making Data Count, lower is better for sickness and leavers). Withheld cells say why.")
widgets.table(pl.DataFrame([row(r) for r in rows.iter_rows(named=True)]), "ICS overview",
              tints={"Burnout Risk Index": present.band_tint, "Sickness rate": present.signal_tint,
                     "Leaver rate": present.signal_tint})

with st.expander("Burnout Risk Index components (percentile ranks, 100 = most at risk)"):
    ranks = rows.select(
        pl.struct("icb_name", "icb_code").map_elements(lambda r: f"{r['icb_name']} ({r['icb_code']})",
                                                       return_dtype=pl.String).alias("ICS"),
        *[pl.col(f"{c}_rank").map_elements(lambda v: present.number(v, 0, reason="not available"),
                                           return_dtype=pl.String).alias(name)
          for c, name in present.BRI_COMPONENTS.items()])
    widgets.table(ranks, "BRI component ranks")
