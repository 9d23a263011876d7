"""On-demand benchmark of the dashboard on a published home (not collected by the test suite).

    .venv/bin/python tests/benchmarks/bench_dashboard.py --home .wellbeing [--runs 7]

Prints the published tables and their row counts, then for every page: the time of the queries it makes
(through one read of the snapshot, as a render does, nothing cached), and the time to render the whole page
server-side (Streamlit AppTest, cache cleared first: a cold render, as after a publish; then warm, as on a
later visit). Median and p95 per page in seconds.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "dashboards" / "app.py"
PAGES = {"Overview": None, "ICS": "views/ics.py", "Alerts": "views/alerts.py", "Data & quality": "views/quality.py"}


def page_queries(q) -> dict[str, list]:
    """The reads each page makes for its default view (the first ICS, organisation and year it shows)."""
    basis = "current"
    month = q.months(basis)["period_month"][0]
    code = q.ics_choices(basis)["icb_code"][0]
    members = q.member_organisations(code, basis, month)
    org = members["org_code"][0] if members.height else None
    years = q.survey_series(code, basis)["survey_year"].to_list()
    return {
        "Overview": [(q.publish_log,), (q.min_respondents,), (q.months, basis), (q.regions,),
                     (q.overview, basis, month), (q.national_month, basis, month)],
        "ICS": [(q.publish_log,), (q.ics_choices, basis), (q.ics_lifecycle, code), (q.sickness_series, code, basis),
                (q.turnover_series, code, basis), (q.survey_series, code, basis),
                (q.member_organisations, code, basis, month),
                *([(q.organisation_series, org), (q.organisation_staff_groups, org, month)] if org else []),
                *([(q.member_survey, code, basis, years[-1])] if years else []),
                (q.social_care_beside_nhs, code, basis), (q.bri_series, code, basis)],
        "Alerts": [(q.publish_log,), (q.alerts, basis), (q.alert_changes, basis), (q.table_changes,)],
        "Data & quality": [(q.publish_log,), (q.check_results,), (q.source_freshness,), (q.rejected_files,),
                           (q.definitions,)],
    }


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.3f} s, p95 {p95:.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="a home folder with a published serving.duckdb")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ["WELLBEING_HOME"] = str(args.home.resolve())
    os.environ.pop("WELLBEING_SERVING_DB", None)
    sys.path.insert(0, str(APP.parent))
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest outside a server warns on every run
    import duckdb
    import queries
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    serving = queries.serving_path()
    print(f"serving database: {serving} ({serving.stat().st_size / 1e6:.1f} MB), {args.runs} runs")
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = con.execute("select schema_name || '.' || table_name from duckdb_tables() order by 1").fetchall()
        for (table,) in tables:
            print(f"  {table:45s} {con.execute(f'select count(*) from {table}').fetchone()[0]:>9,d} rows")
    with queries.reading():
        reads = page_queries(queries)
    for page, calls in reads.items():
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with queries.reading():
                for query, *params in calls:
                    query(*params)
            timings.append(time.perf_counter() - started)
        print(f"{page:15s} queries ({len(calls):2d}): {summary(timings)}")
    for page, path in PAGES.items():
        cold, warm = [], []
        for _ in range(args.runs):
            at = AppTest.from_file(str(APP), default_timeout=120)
            st.cache_data.clear()
            at.run()  # the default page, cold
            started = time.perf_counter()
            if path:
                st.cache_data.clear()
                at.switch_page(path).run()
            else:
                st.cache_data.clear()
                at.run()
            cold.append(time.perf_counter() - started)
            assert not at.exception, at.exception
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        print(f"{page:15s} render cold: {summary(cold)}; warm: {summary(warm)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
