"""Staff wellbeing by ICS: the Streamlit dashboard over the published serving database."""
from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import queries  # noqa: E402  (the dashboard's only data access)

BASES = {"Today's ICS boundaries (history restated)": "current", "Boundaries at the time": "as_at"}


@st.cache_data(ttl=60)
def load(name: str, *args, _stamp: float = 0.0):
    """Cached per published file (its mtime), so a new publish shows at once."""
    return getattr(queries, name)(*args)


st.set_page_config(page_title="Staff wellbeing by ICS", layout="wide")
st.title("Staff wellbeing by Integrated Care System")

serving = queries.serving_path()
if not serving.exists():
    st.warning(f"Nothing has been published yet ({serving} does not exist). Run `wellbeing demo` or `wellbeing run`.")
    st.stop()
stamp = serving.stat().st_mtime
publish = load("latest_publish", _stamp=stamp)
st.caption(f"Published snapshot {publish['publish_id']} ({publish['published_at']:%d %b %Y %H:%M} UTC). "
           "Rates are percentages (0-100), computed as ratios of sums over each ICS's organisations.")

basis = BASES[st.radio("Boundaries", list(BASES), horizontal=True)]
latest = load("sickness_latest", basis, _stamp=stamp)
if latest.is_empty():
    st.info("No sickness absence figures have been published yet.")
    st.stop()

month = latest["period_month"][0]
st.subheader(f"Sickness absence, {month:%B %Y}")
national = load("national_sickness_trend", basis, _stamp=stamp)
left, mid, right = st.columns(3)
left.metric("ICSs", latest.height)
mid.metric("England sickness rate", f"{national['sickness_rate'][-1]:.2f}%")
right.metric("Highest ICS rate", f"{latest['sickness_rate'][0]:.2f}%", help=latest["icb_name"][0])

names = dict(zip(latest["icb_name"], latest["icb_code"]))
chosen = st.selectbox("ICS", list(names))
trend = load("sickness_trend", names[chosen], basis, _stamp=stamp)
figure = go.Figure()
figure.add_scatter(x=trend["period_month"], y=trend["sickness_rate"], name=chosen, mode="lines+markers")
figure.add_scatter(x=national["period_month"], y=national["sickness_rate"], name="England",
                   line={"dash": "dot"})
figure.update_layout(yaxis_title="Sickness absence rate (%)", xaxis_title="Month", height=380,
                     margin={"t": 30}, legend={"orientation": "h"})
st.plotly_chart(figure, width="stretch")

st.subheader("All ICSs, latest month")
st.dataframe(latest.select("icb_name", "region_code", "sickness_rate", "sickness_rate_12m", "n_orgs"),
             width="stretch", hide_index=True,
             column_config={"icb_name": "ICS", "region_code": "Region",
                            "sickness_rate": st.column_config.NumberColumn("Rate (%)", format="%.2f"),
                            "sickness_rate_12m": st.column_config.NumberColumn("12-month rate (%)", format="%.2f"),
                            "n_orgs": "Organisations"})
