"""Alerts: every active early warning with its evidence, since when and on which basis; what changed since the
previous publish."""
from __future__ import annotations

import polars as pl
import present
import queries
import streamlit as st
import widgets

st.title("Alerts")
widgets.require_snapshot()
basis = widgets.basis_picker("alerts_basis")

active = queries.cached(queries.alerts, basis)
reasons = st.multiselect("Reasons", list(present.ALERT_REASONS), format_func=present.ALERT_REASONS.get,
                         placeholder="All reasons", key="alerts_reasons")
if reasons:
    active = active.filter(pl.col("alert_reason").is_in(reasons))
st.markdown(f"**{active.height}** active alert(s) on {present.BASES[basis].lower()}, for the latest month "
            "(high Burnout Risk Index, an SPC special cause of concern, or a significant fall in speaking up).")


def since(r: dict) -> str:
    if r["alert_reason"] == "psi_significant_fall":
        return f"Staff Survey {r['survey_year']}"
    return present.month_label(r["since_month"]) if r["since_month"] else present.month_label(r["period_month"])


widgets.table(pl.DataFrame([{
    "ICS": f"{r['icb_name']} ({r['icb_code']})",
    "Alert": present.ALERT_REASONS.get(r["alert_reason"], r["alert_reason"]),
    "Since": since(r),
    "Latest": (present.month_label(r["period_month"]) if r["period_month"] else f"Staff Survey {r['survey_year']}"),
    "Basis": present.BASES[basis],
    "Evidence": r["evidence"],
} for r in active.iter_rows(named=True)], schema={c: pl.String for c in
                                                  ("ICS", "Alert", "Since", "Latest", "Basis", "Evidence")}),
    "Active alerts", key="alerts")

st.subheader("What changed since the previous publish")
log = queries.cached(queries.publish_log)
if log.height < 2:
    st.info("This is the first publish: there is nothing earlier to compare with.")
else:
    st.markdown(f"Publish {log['publish_id'][0]} ({log['published_at'][0]:%d %b %Y %H:%M}) against "
               f"{log['publish_id'][1]} ({log['published_at'][1]:%d %b %Y %H:%M}).")
    changes = queries.cached(queries.alert_changes, basis)
    if queries.previous_snapshot() is None:
        st.info("The previous snapshot is no longer kept, so alerts cannot be compared.")
    elif changes.is_empty():
        st.markdown("No alert was raised or cleared.")
    else:
        widgets.table(changes.select(
            pl.col("change").str.replace("new", "raised").alias("Change"),
            pl.struct("icb_name", "icb_code").map_elements(lambda r: f"{r['icb_name']} ({r['icb_code']})",
                                                           return_dtype=pl.String).alias("ICS"),
            pl.col("alert_reason").replace(present.ALERT_REASONS).alias("Alert")), "Alert changes", key="changes")
    tables = queries.cached(queries.table_changes)
    widgets.table(tables.select(
        pl.col("table").alias("Table"), pl.col("rows_now").alias("Rows now"),
        pl.col("rows_before").cast(pl.String).fill_null("new table").alias("Rows at the previous publish"),
        (pl.col("rows_now") - pl.col("rows_before")).cast(pl.String).fill_null("").alias("Change")),
        "Published rows", key="table_changes")
