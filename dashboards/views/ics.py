"""One ICS: Making Data Count charts, survey trends with intervals, member organisations against their peer
benchmark groups (drill-down to staff groups), social care beside NHS, and the BRI components over time."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import present
import queries
import streamlit as st
import widgets

st.title("Integrated Care System")
widgets.require_snapshot()
threshold = queries.cached(queries.min_respondents)

basis = widgets.basis_picker("ics_basis")
choices = queries.cached(queries.ics_choices, basis)
if choices.is_empty():
    st.info("No ICS has figures on these boundaries yet.")
    st.stop()
labels = {r["icb_code"]: present.ics_label(r["icb_name"], r["icb_code"], r["valid_to"], r["successor_name"])
          for r in choices.iter_rows(named=True)}
codes = list(labels)
remembered = st.session_state.get("ics_code")
code = st.selectbox("ICS", codes, index=codes.index(remembered) if remembered in codes else 0,
                    format_func=labels.get, key="ics_select",
                    help="On boundaries at the time, ICSs abolished by a merger are listed with their end date.")
st.session_state["ics_code"] = code
chosen = choices.filter(pl.col("icb_code") == code).row(0, named=True)
name = chosen["icb_name"]

lifecycle = queries.cached(queries.ics_lifecycle, code)
own = lifecycle.filter(pl.col("relation") == "self")
region = own["region_name"][-1] or own["region_code"][-1] if not own.is_empty() else None
st.header(f"{name} ({code})")
st.markdown(f"Region: {region or 'not known'} · figures from {present.month_label(chosen['first_month'])} "
           f"to {present.month_label(chosen['last_month'])} on {present.BASES[basis].lower()}")
# an ICS formed by a merger: the ICSs whose successor it is, and the day it started
formed = own["valid_from"].min() if not own.is_empty() else None
predecessors = [(r["icb_code"], r["icb_name"], formed)
                for r in lifecycle.filter(pl.col("relation") == "predecessor").iter_rows(named=True)]
note = present.lifecycle_note(code, name, chosen["valid_to"], chosen["successor_icb_code"], chosen["successor_name"],
                              basis, predecessors)
if note:
    st.info(note)

sickness = queries.cached(queries.sickness_series, code, basis)
turnover = queries.cached(queries.turnover_series, code, basis)

st.subheader("Monthly measures (Making Data Count)")
st.markdown("Points are coloured **and shaped** by their SPC signal: ▲ orange = special cause of concern, "
            "▼ blue = special cause of improvement, ● grey = common cause. Lower is better for each measure. "
            "England is the dashed blue line.")
tab_sickness, tab_mh, tab_leavers = st.tabs(["Sickness absence", "Mental-health share of absence", "Leaver rate"])
with tab_sickness:
    widgets.spc_chart(sickness, "sickness_rate", "Sickness absence rate", name, "england_sickness_rate")
    latest = sickness.row(-1, named=True) if not sickness.is_empty() else None
    if latest:
        st.markdown(f"12-month rate: **{present.percent(latest['sickness_rate_12m'], 2, latest['sickness_rate_12m_reason'])}**")
with tab_mh:
    st.markdown("Days lost to anxiety, stress, depression and other psychiatric illnesses, as a share of the days "
               "lost with a known reason.")
    # the share's own SPC columns (mh_spc_*) under the names the chart reads
    widgets.spc_chart(sickness.select("period_month", "mh_absence_share", "england_mh_absence_share",
                                      *[pl.col(f"mh_{c}").alias(c) for c in widgets.SPC_COLUMNS]),
                      "mh_absence_share", "Mental-health share of days lost", name, "england_mh_absence_share")
with tab_leavers:
    widgets.spc_chart(turnover, "leaver_rate", "Leaver rate", name, "england_leaver_rate")
    latest = turnover.row(-1, named=True) if not turnover.is_empty() else None
    if latest:
        rate_12m = present.percent(latest["leaver_rate_12m"], 2, latest["leaver_rate_12m_reason"])
        st.markdown(f"12-month leaver rate: **{rate_12m}**")

st.subheader("NHS Staff Survey")
survey = queries.cached(queries.survey_series, code, basis)
if survey.is_empty():
    st.info("No Staff Survey results published for this ICS on these boundaries.")
else:
    measures = [("psi_pct_positive", "Feel safe to raise concerns, % positive"),
                ("burnout_pct", "Burnout, %"), ("pct_unwell_stress", "Unwell from work stress, %")]
    figure = go.Figure()
    colours = [present.NHS_BLUE, present.NHS_ORANGE, present.NHS_AQUA_GREEN]
    symbols = ["circle", "square", "diamond"]
    for (column, label), colour, symbol in zip(measures, colours, symbols, strict=False):
        shown = survey.filter(pl.col(column).is_not_null())
        figure.add_scatter(x=shown["survey_year"], y=shown[column], name=label, mode="lines+markers",
                           marker={"color": colour, "symbol": symbol, "size": 9}, line={"color": colour},
                           error_y={"type": "data", "symmetric": False,
                                    "array": (shown[f"{column}_upper"] - shown[column]).to_list(),
                                    "arrayminus": (shown[column] - shown[f"{column}_lower"]).to_list()})
    figure.update_layout(yaxis_title="% (95% interval bars)", xaxis={"dtick": 1, "title": "Survey year"},
                         height=340, margin={"t": 30}, legend={"orientation": "h", "y": -0.25},
                         plot_bgcolor="white", yaxis_gridcolor=present.NHS_PALE_GREY)
    st.plotly_chart(figure, width="stretch", config=widgets.PLOTLY_CONFIG)

    def survey_row(r: dict) -> dict:
        def cell(column):
            return present.survey_percent(r[column], r["suppressed"], r["n_respondents_label"], threshold,
                                          r[f"{column}_lower"], r[f"{column}_upper"])
        return {"Survey year": str(r["survey_year"]),
                "Respondents": (present.survey_withheld(r["n_respondents_label"], threshold) if r["suppressed"]
                                else r["n_respondents_label"]),
                "Feel safe to raise concerns, % positive": cell("psi_pct_positive"),
                "Change on previous year": "withheld" if r["suppressed"] else present.change(
                    r["psi_pct_positive_change"], r["psi_pct_positive_significant"]),
                "Spread over organisations": ("withheld" if r["suppressed"] else "no published organisations"
                                              if r["psi_org_min"] is None else
                                              f"{r['psi_org_min']:.1f}-{r['psi_org_max']:.1f}% "
                                              f"({r['n_orgs_in_spread']} organisations)"),
                f"Burnout ({r['burnout_measure'] or 'not published'})": cell("burnout_pct"),
                "Unwell from work stress": cell("pct_unwell_stress")}

    rows = [survey_row(r) for r in survey.iter_rows(named=True)]
    st.markdown("Survey figures with their 95% intervals (the chart as a table):")
    widgets.table(pl.DataFrame(rows), "Staff Survey trend")

st.subheader("Member organisations against their peer benchmark group")
months = sickness["period_month"].to_list()[::-1]
if months:
    month = st.selectbox("Month", months, format_func=present.month_label, key="ics_org_month")
    members = queries.cached(queries.member_organisations, code, basis, month)
    st.markdown("Peer benchmark group: England's rate for organisations of the same type (Acute, Mental Health, "
               "Community, Ambulance, ...), summed over published cells. Withheld cells say why.")
    widgets.table(pl.DataFrame([{
        "Organisation": f"{r['org_name'] or r['org_code']} ({r['org_code']})",
        "Peer group": r["org_type"] or "no type published",
        "Sickness rate": (present.withheld(r["suppression_reason"]) if r["suppressed"]
                          else present.percent(r["sickness_rate"], 2)),
        "Peer group rate": present.percent(r["peer_sickness_rate"], 2, "no peer figures"),
        "12-month rate": (present.withheld(r["suppression_reason"]) if r["suppressed"] else
                          present.percent(r["sickness_rate_12m"], 2, r["sickness_rate_12m_reason"])),
        "Mental-health share": (present.withheld(r["suppression_reason"]) if r["suppressed"]
                                else present.percent(r["mh_absence_share"], 1, "no reasons published")),
    } for r in members.iter_rows(named=True)]), "Member organisations", key="members")

    if not members.is_empty():
        org_labels = {r["org_code"]: f"{r['org_name'] or r['org_code']} ({r['org_code']})"
                      for r in members.iter_rows(named=True)}
        org = st.selectbox("Organisation", list(org_labels), format_func=org_labels.get, key="ics_org")
        series = queries.cached(queries.organisation_series, org)
        published = series.filter(~pl.col("suppressed"))
        if not published.is_empty():
            figure = go.Figure()
            figure.add_scatter(x=published["period_month"], y=published["sickness_rate"], name=org_labels[org],
                               mode="lines+markers", line={"color": present.NHS_DARK_BLUE})
            figure.add_scatter(x=series["period_month"], y=series["peer_sickness_rate"],
                               name=f"England, {series['org_type'][-1]} peer group", mode="lines",
                               line={"color": present.NHS_BLUE, "dash": "longdash"})
            figure.update_layout(yaxis_title="Sickness absence rate (%)", height=300, margin={"t": 30},
                                 legend={"orientation": "h", "y": -0.25}, plot_bgcolor="white",
                                 yaxis={"rangemode": "tozero", "gridcolor": present.NHS_PALE_GREY})
            st.plotly_chart(figure, width="stretch", config=widgets.PLOTLY_CONFIG)
        withheld_months = series.filter(pl.col("suppressed")).height
        st.markdown(f"{org_labels[org]}: {published.height} months published, {withheld_months} withheld "
                   "(small cells are withheld and not drawn).")
        groups = queries.cached(queries.organisation_staff_groups, org, month)
        widgets.table(pl.DataFrame([{
            "Staff group": r["staff_group"],
            "Sickness rate": (present.withheld(r["suppression_reason"]) if r["suppressed"]
                              else present.percent(r["sickness_rate"], 2)),
            "Peer group rate": present.percent(r["peer_sickness_rate"], 2, "no peer figures"),
            "12-month rate": (present.withheld(r["suppression_reason"]) if r["suppressed"] else
                              present.percent(r["sickness_rate_12m"], 2, r["sickness_rate_12m_reason"])),
        } for r in groups.iter_rows(named=True)]), f"Staff groups, {present.month_label(month)}", key="staff_groups")

if not survey.is_empty():
    years = survey["survey_year"].to_list()[::-1]
    year = st.selectbox("Survey year for organisations", years, key="ics_org_year")
    orgs = queries.cached(queries.member_survey, code, basis, year)
    widgets.table(pl.DataFrame([{
        "Organisation": f"{r['org_name'] or r['org_code']} ({r['org_code']})",
        "Respondents": (present.survey_withheld(r["n_respondents_label"], threshold) if r["suppressed"]
                        else r["n_respondents_label"]),
        "Feel safe to raise concerns": present.survey_percent(
            r["psi_pct_positive"], r["suppressed"], r["n_respondents_label"], threshold,
            r["psi_pct_positive_lower"], r["psi_pct_positive_upper"]),
        "Burnout, %": present.survey_percent(
            r["pct_high_burnout"] if r["pct_high_burnout"] is not None else r["burnout_pct_often_always"],
            r["suppressed"], r["n_respondents_label"], threshold),
    } for r in orgs.iter_rows(named=True)]), f"Organisations, Staff Survey {year}", key="org_survey")

st.subheader("Social care beside the NHS")
care = queries.cached(queries.social_care_beside_nhs, code, basis)
st.markdown("In the same units: turnover as % of staff leaving over a year (Skills for Care's adult social care "
            "turnover; the NHS 12-month leaver rate) and sickness days a year per worker (social care) or per FTE "
            "(NHS, 12 months), the NHS figures at the last month published in that year.")
widgets.table(pl.DataFrame([{
    "Year": str(r["year"]),
    "Social care turnover": ("withheld (fewer than 10 workers)" if r["suppressed"]
                             else present.percent(r["asc_turnover_rate"], 1, "no social care figures")),
    "NHS 12-month leaver rate": present.percent(r["nhs_leaver_rate_12m"], 1,
                                                "needs 12 months on these boundaries" if r["nhs_month"] else
                                                "no NHS figures that year"),
    "Social care vacancy rate": ("withheld (fewer than 10 workers)" if r["suppressed"]
                                 else present.percent(r["asc_vacancy_rate"], 1)),
    "Social care sickness days per worker": ("withheld (fewer than 10 workers)" if r["suppressed"]
                                             else present.number(r["asc_sickness_days_per_worker"], 1, " days")),
    "NHS sickness days per FTE, 12 months": present.number(
        r["nhs_sickness_days_per_fte_12m"], 1, " days",
        "needs 12 months on these boundaries" if r["nhs_month"] else "no NHS figures that year"),
} for r in care.iter_rows(named=True)]), "Social care and NHS turnover", key="social_care")

st.subheader("Burnout Risk Index components over time")
bri = queries.cached(queries.bri_series, code, basis)
if not bri.is_empty():
    figure = go.Figure()
    palette = [present.NHS_DARK_BLUE, present.NHS_BLUE, present.NHS_LIGHT_BLUE, present.NHS_AQUA_GREEN,
               present.NHS_ORANGE, present.NHS_RED, present.NHS_MID_GREY]
    dashes = ["solid", "dot", "dash", "longdash", "dashdot", "longdashdot", "solid"]
    for (component, label), colour, dash in zip(present.BRI_COMPONENTS.items(), palette, dashes, strict=False):
        figure.add_scatter(x=bri["period_month"], y=bri[f"{component}_rank"], name=label, mode="lines",
                           line={"color": colour, "dash": dash, "width": 1.5})
    figure.add_scatter(x=bri["period_month"], y=bri["bri"], name="Burnout Risk Index", mode="lines+markers",
                       line={"color": "black", "width": 3})
    figure.update_layout(yaxis_title="Percentile rank among ICSs (100 = most at risk)", yaxis_range=[0, 100],
                         height=380, margin={"t": 30}, legend={"orientation": "h", "y": -0.25}, plot_bgcolor="white",
                         yaxis_gridcolor=present.NHS_PALE_GREY)
    st.plotly_chart(figure, width="stretch", config=widgets.PLOTLY_CONFIG)
    with st.expander("Burnout Risk Index: the chart as a table"):
        widgets.table(bri.select(
            pl.col("period_month").alias("Month"),
            pl.struct("bri", "bri_band", "bri_reason").map_elements(
                lambda r: present.bri_label(r["bri"], r["bri_band"], r["bri_reason"]), return_dtype=pl.String)
            .alias("Burnout Risk Index"),
            *[pl.col(f"{c}_rank").map_elements(lambda v: present.number(v, 0, reason="not available"),
                                               return_dtype=pl.String).alias(label)
              for c, label in present.BRI_COMPONENTS.items()]),
            f"BRI components for {name}", key="bri")
