"""Data & quality: what is published, when, from which loads, after which checks; source freshness; rejected
files; and the definition of every published column (the dbt docs, as published with the snapshot)."""
from __future__ import annotations

import json

import polars as pl
import queries
import streamlit as st
import widgets

st.title("Data & quality")
widgets.require_snapshot()

st.subheader("Publishes")
log = queries.cached(queries.publish_log)
widgets.table(log.select(
    pl.col("publish_id").alias("Publish"), pl.col("published_at").dt.strftime("%Y-%m-%d %H:%M").alias("Published (UTC)"),
    pl.col("tables").map_elements(lambda t: len(json.loads(t)), return_dtype=pl.Int64).alias("Tables"),
    pl.col("rows_published").alias("Rows"), pl.col("files_loaded").alias("Files loaded")), "Publish log",
    key="publish_log")

st.subheader("Checks behind the snapshot served now")
checks = queries.cached(queries.check_results)
passed = checks.filter(pl.col("passed")).height
warnings = checks.filter(~pl.col("passed") & (pl.col("severity") == "WARN")).height
st.markdown(f"**{passed} of {checks.height}** checks passed (dbt tests and Great Expectations gates; a failed "
            f"blocking check stops the publish). {warnings} warning(s) did not block it.")


def summary(detail: str) -> str:
    try:
        fields = json.loads(detail or "{}")
    except json.JSONDecodeError:
        return ""
    return fields.get("summary") or fields.get("table") or ""


widgets.table(checks.select(
    pl.col("asset").alias("Table"), pl.col("check_name").alias("Check"),
    pl.when(pl.col("passed")).then(pl.lit("✓ passed"))
    .when(pl.col("severity") == "WARN").then(pl.lit("⚠ warning (not blocking)"))
    .otherwise(pl.lit("✗ failed")).alias("Result"),
    pl.col("severity").alias("Severity"),
    pl.col("detail").map_elements(summary, return_dtype=pl.String).alias("Detail")), "Check results", key="checks")

st.subheader("Source freshness")
widgets.table(queries.cached(queries.source_freshness).select(
    pl.col("format").fill_null("(unrecognised)").alias("Format"), pl.col("source_family").alias("Family"),
    pl.col("files_loaded").alias("Files loaded"), pl.col("files_rejected").alias("Files rejected"),
    pl.col("files_duplicate").alias("Duplicates"), pl.col("rows_in_raw").alias("Rows held"),
    pl.col("latest_period").fill_null("none loaded").alias("Latest period"),
    pl.col("status").fill_null("").alias("Freshness"),
    pl.col("last_loaded_at").dt.strftime("%Y-%m-%d %H:%M").fill_null("never").alias("Last loaded")),
    "Source freshness", key="freshness")

st.subheader("Rejected files")
rejected = queries.cached(queries.rejected_files)
if rejected.is_empty():
    st.markdown("No file has been rejected.")
else:
    widgets.table(rejected.rename({"file": "File", "reason": "Reason (file, row, column)"}), "Rejected files",
                  key="rejected")

st.subheader("Definitions")
definitions = queries.cached(queries.definitions)
if definitions.is_empty():
    st.markdown("This snapshot was published without its definitions (they are published with every snapshot "
                "from this release on); the next publish adds them.")
else:
    tables = definitions["table"].unique(maintain_order=True).to_list()
    table = st.selectbox("Table", tables, key="definitions_table")
    search = st.text_input("Find a column or word", key="definitions_search")
    shown = definitions.filter(pl.col("table") == table)
    if search:
        shown = shown.filter(pl.col("column").str.contains(search, literal=True) |
                             pl.col("description").str.to_lowercase().str.contains(search.lower(), literal=True))
    widgets.table(shown.select(pl.col("column").alias("Column"), pl.col("type").alias("Type"),
                               pl.col("description").alias("Definition")), f"Definitions of {table}",
                  key="definitions")
