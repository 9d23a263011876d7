"""Staff wellbeing by ICS: the Streamlit dashboard over the published serving database (`wellbeing dashboard`).

Four pages read the published marts through queries.py only; launch.py gives the server flags."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # views import queries, present and widgets as top-level modules
import queries  # noqa: E402  (the same module object the views import)

st.set_page_config(page_title="Staff wellbeing by ICS", layout="wide", menu_items={
    "Get help": None, "Report a bug": None,
    "About": "Staff wellbeing by Integrated Care System: NHS Staff Survey, sickness absence, turnover and adult "
             "social care, from the published marts of the wellbeing pipeline."})

PAGES = [
    st.Page(HERE / "views" / "overview.py", title="Overview", url_path="overview", default=True),
    st.Page(HERE / "views" / "ics.py", title="ICS", url_path="ics"),
    st.Page(HERE / "views" / "alerts.py", title="Alerts", url_path="alerts"),
    st.Page(HERE / "views" / "quality.py", title="Data & quality", url_path="quality"),
]
# Wide tables grow the page instead of scrolling inside a box a keyboard cannot reach.
st.html("<style>[data-testid='stTable'] div { overflow: visible !important; }</style>")
with queries.reading():  # one read-only attachment of the published file for the whole render
    st.navigation(PAGES).run()
