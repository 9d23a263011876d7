"""Streamlit pieces every page shares: the snapshot banner, the basis choice, tables with CSV download,
Making Data Count charts with their text alternatives."""
from __future__ import annotations

import re

import plotly.graph_objects as go
import polars as pl
import present
import queries
import streamlit as st

PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False}
BASIS_STATE = "boundary_basis"  # kept across pages
# what an SPC chart reads beside the series: centre, limits, the rule, the point type and why there is none
SPC_COLUMNS = ("spc_centre", "spc_lower_limit", "spc_upper_limit", "spc_rule", "spc_signal", "spc_reason")


def require_snapshot() -> queries.Snapshot:
    """The snapshot served now, or a clear message and a stop when nothing is published yet."""
    snapshot = queries.current_snapshot()
    if snapshot is None:
        st.warning(f"Nothing has been published yet ({queries.serving_path()} does not exist). "
                   "Run `wellbeing demo` or `wellbeing run`.")
        st.stop()
    log = queries.cached(queries.publish_log)
    latest = log.row(0, named=True)
    st.markdown(f"Published snapshot {latest['publish_id']} ({latest['published_at']:%d %b %Y %H:%M} UTC). "
               "Percentages are 0-100; ICS rates are ratios of sums over the ICS's organisations.")
    return snapshot


def basis_picker(key: str) -> str:
    """Boundary basis, remembered across pages."""
    st.session_state.setdefault(BASIS_STATE, "current")
    options = list(present.BASES)
    chosen = st.radio("Boundaries", options, index=options.index(st.session_state[BASIS_STATE]),
                      format_func=present.BASES.get, horizontal=True, key=key, help=present.BASIS_HELP)
    st.session_state[BASIS_STATE] = chosen
    return chosen


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def table(frame: pl.DataFrame, title: str, key: str | None = None, tints: dict | None = None) -> None:
    """A real HTML table (readable by screen readers and keyboard) and its CSV download. `tints` maps a column
    to a function from a cell's text to a background colour: a heatmap whose words already say the same."""
    if frame.is_empty():
        st.info(f"{title}: nothing published for this choice.")
        return
    shown = frame.to_pandas()
    if tints:
        shown = shown.style.hide(axis="index")
        for column, tint in tints.items():
            shown = shown.map(lambda text, tint=tint: f"background-color: {tint(text)}" if tint(text) else "",
                              subset=[column])
    st.table(shown, hide_index=True, alt=title)
    st.download_button(f"Download {title.lower()} (CSV)", frame.write_csv(), file_name=f"{slug(title)}.csv",
                       mime="text/csv", key=f"csv_{key or slug(title)}")


def spc_chart(series: pl.DataFrame, value: str, label: str, subject: str, england: str | None) -> None:
    """A Making Data Count XmR chart: the series, its centre and limits (floored at 0), special-cause points
    coloured and shaped by improvement or concern, England beside it; then the same in words and a table."""
    series = series.filter(pl.col(value).is_not_null())
    if series.is_empty():
        st.info(f"{label}: no figures published for {subject} on these boundaries.")
        return
    months = series["period_month"].to_list()
    figure = go.Figure()
    figure.add_scatter(x=months, y=series[value], name=subject, mode="lines",
                       line={"color": present.NHS_DARK_GREY, "width": 2}, showlegend=False)
    for signal, (symbol, words, colour, marker) in present.SPC.items():
        points = series.filter(pl.col("spc_signal") == signal)
        if not points.is_empty():
            figure.add_scatter(x=points["period_month"], y=points[value], mode="markers", name=f"{symbol} {words}",
                               marker={"color": colour, "symbol": marker, "size": 9,
                                       "line": {"color": present.NHS_DARK_GREY, "width": 1}})
    unplaced = series.filter(pl.col("spc_signal").is_null())
    if not unplaced.is_empty():
        figure.add_scatter(x=unplaced["period_month"], y=unplaced[value], mode="markers", name="No SPC limits",
                           marker={"color": "white", "symbol": "circle-open", "size": 7,
                                   "line": {"color": present.NHS_DARK_GREY}})
    lines = [("spc_centre", "Centre (mean)", "dash", present.NHS_DARK_GREY),
             ("spc_upper_limit", "Process limits", "dot", present.NHS_MID_GREY),
             ("spc_lower_limit", None, "dot", present.NHS_MID_GREY)]
    for column, name, dash, colour in lines:
        ys = [present.floor_at_zero(v) for v in series[column]]
        if any(y is not None for y in ys):
            figure.add_scatter(x=months, y=ys, mode="lines", name=name or "", showlegend=name is not None,
                               line={"color": colour, "dash": dash, "width": 1.5})
    if england and england in series.columns:
        figure.add_scatter(x=months, y=series[england], mode="lines", name="England",
                           line={"color": present.NHS_BLUE, "width": 2, "dash": "longdash"})
    figure.update_layout(yaxis_title=f"{label} (%)", height=360, margin={"t": 30, "b": 10},
                         legend={"orientation": "h", "y": -0.2}, plot_bgcolor="white",
                         yaxis={"rangemode": "tozero", "gridcolor": present.NHS_PALE_GREY})
    st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG)
    latest = series.row(-1, named=True)
    st.markdown(f"**Variation:** {present.spc_label(latest['spc_signal'], latest['spc_reason'])}"
                f"{present.spc_rule_text(latest['spc_rule'])} ({present.month_label(latest['period_month'])})")
    st.markdown(spc_text(series, value, label, subject, england))
    with st.expander(f"{label}: the chart as a table"):
        table(spc_table(series, value, label, england), f"{label} for {subject}", key=f"spc_{value}")


def spc_table(series: pl.DataFrame, value: str, label: str, england: str | None) -> pl.DataFrame:
    """The chart's points as rows: value, England, centre and limits (floored at 0) and the variation in words;
    a month without limits says so."""
    def figure(column: str, floor: bool = False) -> pl.Expr:
        return pl.col(column).map_elements(
            lambda v: present.number(present.floor_at_zero(v) if floor else v, 2, reason="no limits"),
            return_dtype=pl.String)

    limits = [figure("spc_centre").alias("Centre"), figure("spc_lower_limit", floor=True).alias("Lower limit"),
              figure("spc_upper_limit").alias("Upper limit")] if series["spc_centre"].is_not_null().any() else []
    return series.select(
        pl.col("period_month").alias("Month"),
        pl.col(value).round(2).alias(f"{label} (%)"),
        *([pl.col(england).round(2).alias("England (%)")] if england and england in series.columns else []),
        *limits,
        pl.struct("spc_signal", "spc_reason").map_elements(
            lambda r: present.spc_label(r["spc_signal"], r["spc_reason"]), return_dtype=pl.String).alias("Variation"))


def spc_text(series: pl.DataFrame, value: str, label: str, subject: str, england: str | None) -> str:
    """The chart in one paragraph: latest value, limits and the special-cause points."""
    latest = series.row(-1, named=True)
    text = (f"{label} for {subject}: {present.percent(latest[value], 2)} in "
            f"{present.month_label(latest['period_month'])}")
    if england and not present.missing(latest.get(england)):
        text += f" (England {present.percent(latest[england], 2)})"
    if not present.missing(latest["spc_centre"]):
        text += (f"; centre {latest['spc_centre']:.2f}%, process limits "
                 f"{present.floor_at_zero(latest['spc_lower_limit']):.2f}% to {latest['spc_upper_limit']:.2f}%")
    counts = {s: series.filter(pl.col("spc_signal") == s).height for s in present.SPC}
    text += (f". {counts['special_cause_concern']} month(s) of special cause of concern, "
             f"{counts['special_cause_improvement']} of improvement, over {series.height} months.")
    return text
