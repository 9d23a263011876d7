"""Each dashboard page on the published tiny warehouse, through Streamlit's AppTest.

The figures expected are read from the marts here with the test's own SQL (never the app's queries), then
compared with what the page shows; withheld cells must say so; choosing a basis, month, region, ICS or
organisation must change what is shown.
"""
from __future__ import annotations

import os
import re
import sys
import threading

import duckdb
import pytest

from pipelines.settings import REPO_ROOT

APP = str(REPO_ROOT / "dashboards" / "app.py")
WITHHELD_SMALL = "withheld (fewer than 11 responses)"


@pytest.fixture
def app(published_tiny, monkeypatch):
    """A fresh AppTest of the whole app on the shared published home (read only)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WELLBEING_HOME", str(published_tiny.root))
    monkeypatch.delenv("WELLBEING_SERVING_DB", raising=False)

    def open_page(page: str | None = None):
        at = AppTest.from_file(APP, default_timeout=120).run()
        if page:
            at.switch_page(f"views/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return open_page


@pytest.fixture
def marts(published_tiny):
    def query(sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(published_tiny.serving_db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()
    return query


def table(at, title_column: str):
    """The first HTML table whose first column is `title_column`, as a pandas frame indexed by it."""
    for t in at.table:
        if t.value.columns[0] == title_column:
            return t.value.set_index(title_column)
    raise AssertionError(f"no table starting with {title_column!r}: {[t.value.columns[0] for t in at.table]}")


def code_of(label: str) -> str:
    """The code in an ICS or organisation label, "Name (CODE) - abolished ..."."""
    return re.search(r"\(([A-Z0-9]+)\)", label).group(1)


def row_for(frame, code: str):
    return frame.loc[[i for i in frame.index if code_of(i) == code][0]]


def tables_with(at, column: str):
    return [t.value.set_index(t.value.columns[0]) for t in at.table if column in t.value.columns]


# --- overview -----------------------------------------------------------------------------------------------

def test_overview_shows_every_ics_with_the_marts_figures(app, marts):
    at = app()
    (month,) = marts("select max(period_month) from marts.ics_sickness_monthly where boundary_basis = 'current'")[0]
    expected = marts("""select s.icb_code, s.sickness_rate, s.spc_signal, r.bri, r.bri_band, t.leaver_rate
                        from marts.ics_sickness_monthly s
                        join marts.ics_burnout_risk r using (icb_code, period_month, boundary_basis)
                        join marts.ics_turnover_monthly t using (icb_code, period_month, boundary_basis)
                        where s.boundary_basis = 'current' and s.period_month = ?""", [month])
    shown = table(at, "ICS")
    assert len(shown) == len(expected) == int(at.metric[0].value)
    words = {"common_cause": "Common cause", "special_cause_concern": "concern",
             "special_cause_improvement": "improvement"}
    for code, rate, signal, bri, band, leaver_rate in expected:
        row = row_for(shown, code)
        assert row["Sickness rate"].startswith(f"{rate:.2f}%") and words[signal] in row["Sickness rate"]
        assert row["Leaver rate"].startswith(f"{leaver_rate:.2f}%")
        assert row["Burnout Risk Index"] == f"{bri:.0f} ({band.capitalize()})"
    # England: the ratio of sums over every ICS, computed here from the ICS mart
    (england,) = marts("""select 100 * sum(fte_days_lost) / sum(fte_days_available) from marts.ics_sickness_monthly
                          where boundary_basis = 'current' and period_month = ?""", [month])[0]
    assert at.metric[1].label == "England sickness rate" and at.metric[1].value == f"{england:.2f}%"


def test_overview_filters_change_what_is_shown(app, marts):
    at = app()
    before_merger = marts("""select max(period_month) from marts.ics_sickness_monthly
                             where boundary_basis = 'as_at' and icb_code in (
                                 select icb_code from marts.dim_ics where valid_to is not null)""")[0][0]
    at.radio(key="overview_basis").set_value("as_at").run()
    at.selectbox(key="overview_month").set_value(before_merger).run()
    assert not at.exception
    codes = {r[0] for r in marts("""select icb_code from marts.ics_sickness_monthly
                                    where boundary_basis = 'as_at' and period_month = ?""", [before_merger])}
    shown = table(at, "ICS")
    assert {code_of(i) for i in shown.index} == codes
    abolished = [i for i in shown.index if "abolished" in i]
    assert abolished, "the ICSs abolished by the merger are listed, and say so"
    # a region with nothing in it empties the table; the sort changes the order
    regions = at.multiselect(key="overview_regions").options
    at.multiselect(key="overview_regions").set_value(regions[:1]).run()
    assert all(table(at, "ICS")["Region"] == regions[0])
    at.selectbox(key="overview_sort").set_value("ICS name").run()
    names = list(table(at, "ICS").index)
    assert names == sorted(names)


def test_overview_explains_empty_values(app, marts):
    """A 12-month rate on a new ICS's short history shows the mart's reason, never a blank."""
    at = app()
    at.radio(key="overview_basis").set_value("as_at").run()
    shown = table(at, "ICS")
    (reason,) = marts("""select sickness_rate_12m_reason from marts.ics_sickness_monthly
                         where boundary_basis = 'as_at' and sickness_rate_12m is null
                         and period_month = (select max(period_month) from marts.ics_sickness_monthly)
                         order by icb_code limit 1""")[0]
    assert reason in set(shown["Sickness, 12 months"])
    assert not any(v in ("", "None", "nan", "0", "0.00%") for col in shown.columns for v in shown[col])


# --- ICS page -----------------------------------------------------------------------------------------------

def test_ics_page_draws_the_marts_spc_series_against_england(app, marts):
    at = app("ics")
    code = at.selectbox(key="ics_select").value
    rows = marts("""select s.period_month, s.sickness_rate, s.spc_centre, greatest(s.spc_lower_limit, 0),
                           s.spc_upper_limit, n.sickness_rate
                    from marts.ics_sickness_monthly s
                    join marts.national_sickness_monthly n using (period_month, boundary_basis)
                    where s.icb_code = ? and s.boundary_basis = 'current' order by 1""", [code])
    shown = table(at, "Month")  # the sickness chart as a table
    assert len(shown) == len(rows)
    for (_month, rate, centre, lower, upper, england), (_, row) in zip(rows, shown.iterrows(), strict=False):
        assert row["Sickness absence rate (%)"] == pytest.approx(round(rate, 2))
        assert row["England (%)"] == pytest.approx(round(england, 2))
        if centre is not None:
            assert row["Centre"] == f"{centre:,.2f}"
            assert row["Lower limit"] == f"{lower:,.2f}" and not row["Lower limit"].startswith("-")
            assert row["Upper limit"] == f"{upper:,.2f}"
        else:
            assert row["Centre"] == "no limits" and row["Variation"] != "● Common cause"
    # every chart has a text alternative naming its latest value
    captions = " ".join(c.value for c in at.markdown)
    assert "Sickness absence rate for" in captions and f"{rows[-1][1]:.2f}%" in captions


def test_ics_page_draws_the_mental_health_share_with_its_own_spc(app, marts):
    """The mental-health share has its own Making Data Count chart: the mart's mh_spc_* limits and signals, the
    variation icon in words, and England beside it, in the chart's table."""
    at = app("ics")
    code = at.selectbox(key="ics_select").value
    rows = marts("""select s.mh_absence_share, s.mh_spc_centre, s.mh_spc_lower_limit, s.mh_spc_upper_limit,
                           s.mh_spc_signal, s.mh_spc_reason, n.mh_absence_share
                    from marts.ics_sickness_monthly s
                    join marts.national_sickness_monthly n using (period_month, boundary_basis)
                    where s.icb_code = ? and s.boundary_basis = 'current' and s.mh_absence_share is not null
                    order by s.period_month""", [code])
    assert any(r[1] is not None for r in rows), "the tiny scale has enough months for limits"
    shown = tables_with(at, "Mental-health share of days lost (%)")[0]
    assert len(shown) == len(rows)
    words = {"common_cause": "● Common cause", "special_cause_concern": "▲ Special cause: concern",
             "special_cause_improvement": "▼ Special cause: improvement"}
    for (share, centre, lower, upper, signal, reason, england), (_, row) in zip(rows, shown.iterrows(), strict=True):
        assert row["Mental-health share of days lost (%)"] == pytest.approx(round(share, 2))
        assert row["England (%)"] == pytest.approx(round(england, 2))
        if centre is None:
            assert row["Centre"] == "no limits" and row["Variation"] == reason
        else:
            assert row["Centre"] == f"{centre:,.2f}" and row["Variation"] == words[signal]
            assert row["Lower limit"] == f"{lower:,.2f}" and row["Upper limit"] == f"{upper:,.2f}"
            assert 0 <= lower <= centre <= upper <= 100
    captions = " ".join(c.value for c in at.markdown)
    assert "Mental-health share of days lost for" in captions and f"{rows[-1][0]:.2f}%" in captions


def test_ics_page_lists_abolished_icbs_on_the_as_at_basis_only(app, marts):
    abolished = {r[0]: r[1] for r in marts("""select d.icb_code, s.icb_name from marts.dim_ics d
                                              join marts.dim_ics s on s.icb_code = d.successor_icb_code
                                              where d.valid_to is not null and d.icb_code in (
                                                  select icb_code from marts.ics_sickness_monthly)""")}
    assert abolished, "the tiny scale merges two ICBs"
    at = app("ics")
    assert not {code_of(o) for o in at.selectbox(key="ics_select").options} & set(abolished)
    at.radio(key="ics_basis").set_value("as_at").run()
    options = at.selectbox(key="ics_select").options
    assert set(abolished) <= {code_of(o) for o in options}
    assert all("abolished" in o for o in options if code_of(o) in abolished)
    code = sorted(abolished)[0]
    at.selectbox(key="ics_select").set_value(code).run()
    assert not at.exception
    assert any("was abolished" in i.value and abolished[code] in i.value for i in at.info)
    (last_rate,) = marts("""select sickness_rate from marts.ics_sickness_monthly where icb_code = ?
                            and boundary_basis = 'as_at' order by period_month desc limit 1""", [code])[0]
    assert table(at, "Month")["Sickness absence rate (%)"].iloc[-1] == pytest.approx(round(last_rate, 2))


def test_ics_page_survey_trend_shows_intervals_and_withheld_organisations(app, marts):
    small = marts("""select icb_code, survey_year from marts.org_psychological_safety
                     where suppressed and n_respondents_label like '<%' order by 1, 2 limit 1""")
    assert small, "the tiny scale has an organisation below the survey threshold"
    code, year = small[0]
    at = app("ics")
    at.radio(key="ics_basis").set_value("as_at").run()
    at.selectbox(key="ics_select").set_value(code).run()
    at.selectbox(key="ics_org_year").set_value(year).run()
    assert not at.exception
    orgs = tables_with(at, "Feel safe to raise concerns")[0]
    expected = marts("""select org_code, suppressed, n_respondents_label, psi_pct_positive
                        from marts.org_psychological_safety where icb_code = ? and survey_year = ?""", [code, year])
    assert len(orgs) == len(expected)
    for org_code, suppressed, label, pct in expected:
        cell = row_for(orgs, org_code)["Feel safe to raise concerns"]
        if suppressed and label.startswith("<"):
            assert cell == WITHHELD_SMALL
        elif suppressed:
            assert cell.startswith("withheld (")
        else:
            assert cell.startswith(f"{pct:.1f}% (95% CI")
    trend = table(at, "Survey year")
    rows = marts("""select survey_year, psi_pct_positive, psi_pct_positive_lower, psi_pct_positive_upper
                    from marts.ics_psychological_safety where icb_code = ? and boundary_basis = 'as_at'
                    and not suppressed""", [code])
    for survey_year, pct, lower, upper in rows:
        assert trend.loc[str(survey_year), "Feel safe to raise concerns, % positive"] == \
            f"{pct:.1f}% (95% CI {lower:.1f}-{upper:.1f}%)"


def test_ics_page_drills_down_to_an_organisation_and_its_staff_groups(app, marts):
    at = app("ics")
    at.radio(key="ics_basis").set_value("as_at").run()
    code = at.selectbox(key="ics_select").value
    month = at.selectbox(key="ics_org_month").value
    members = marts("""select org_code, suppressed, suppression_reason, sickness_rate from marts.org_sickness_monthly
                       where icb_code = ? and period_month = ? and staff_group = 'All staff groups'""", [code, month])
    shown = table(at, "Organisation")
    assert len(shown) == len(members)
    for org_code, suppressed, reason, rate in members:
        cell = row_for(shown, org_code)["Sickness rate"]
        assert cell == (f"withheld ({reason})" if suppressed else f"{rate:.2f}%")
    orgs = [code_of(o) for o in at.selectbox(key="ics_org").options]
    before = table(at, "Staff group").copy()
    other = [o for o in orgs if o != at.selectbox(key="ics_org").value]
    if other:
        at.selectbox(key="ics_org").set_value(other[0]).run()
        assert not at.exception
        assert not table(at, "Staff group").equals(before)
    org = at.selectbox(key="ics_org").value
    groups = marts("""select o.staff_group, o.suppressed, o.sickness_rate, p.sickness_rate
                      from marts.org_sickness_monthly o
                      left join marts.national_sickness_peer_monthly p using (period_month, org_type, staff_group)
                      where o.org_code = ? and o.period_month = ?""", [org, month])
    shown = table(at, "Staff group")
    assert len(shown) == len(groups)
    for group, suppressed, rate, peer in groups:
        row = shown.loc[group]
        assert row["Sickness rate"].startswith("withheld (") if suppressed else row["Sickness rate"] == f"{rate:.2f}%"
        if peer is not None:
            assert row["Peer group rate"] == f"{peer:.2f}%"


# --- alerts and quality -------------------------------------------------------------------------------------

def test_alerts_page_lists_the_marts_alerts_with_their_evidence(app, marts):
    at = app("alerts")
    for basis in ("current", "as_at"):
        at.radio(key="alerts_basis").set_value(basis).run()
        expected = marts("select icb_code, evidence from marts.ics_alerts where boundary_basis = ?", [basis])
        if not expected:
            assert any("nothing published" in i.value for i in at.info)
            continue
        shown = table(at, "ICS")
        assert len(shown) == len(expected)
        assert sorted(shown["Evidence"]) == sorted(e for _, e in expected)
    assert any("first publish" in i.value for i in at.info)


def test_quality_page_shows_the_publish_its_checks_and_every_definition(app, marts, published_tiny):
    at = app("quality")
    assert len(table(at, "Publish")) == marts("select count(*) from meta.publish_log")[0][0]
    passed, total = marts("select count(*) filter (where passed), count(*) from meta.check_results")[0]
    assert any(f"**{passed} of {total}**" in m.value for m in at.markdown)
    assert len(table(at, "Table")) == total
    assert len(table(at, "Format")) == marts("select count(*) from meta.source_freshness")[0][0]
    at.selectbox(key="definitions_table").set_value("national_sickness_monthly").run()
    columns = {r[0] for r in marts("""select column_name from information_schema.columns
                                      where table_schema = 'marts' and table_name = 'national_sickness_monthly'""")}
    definitions = table(at, "Column")
    assert columns <= set(definitions.index)
    assert all(definitions["Definition"].str.len() > 10)


def test_a_page_says_when_nothing_is_published(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WELLBEING_HOME", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and "Nothing has been published yet" in at.warning[0].value



# --- how a render reads -------------------------------------------------------------------------------------

def _publish(path, publish_id: str) -> None:
    """A minimal published file, renamed over `path` as a publish does."""
    staging = path.with_name(f"{publish_id}.tmp")
    with duckdb.connect(str(staging)) as con:
        con.execute("create schema meta")
        con.execute("""create table meta.publish_log as select ? as publish_id, now() as published_at, 'run' as run_id,
                       1 as rows_published, 1 as files_loaded, '{}' as tables, '{}' as vars""", [publish_id])
    os.replace(staging, path)


def test_a_render_reads_through_one_attachment_and_the_next_sees_a_new_publish(tmp_path, monkeypatch):
    """All the queries of one render share one read-only attachment, gone when the render ends; a publish while
    another render still reads the old file is what the next render shows (no DuckDB instance-cache trap),
    and results are cached per snapshot."""
    sys.path.insert(0, str(REPO_ROOT / "dashboards"))
    import queries

    serving = tmp_path / "serving.duckdb"
    monkeypatch.setenv("WELLBEING_SERVING_DB", str(serving))
    _publish(serving, "first")

    def attachments() -> list[str]:
        return [r[0] for r in queries._engine().execute(
            "select database_name from duckdb_databases() where database_name like 'serving_%'").fetchall()]

    with queries.reading() as snapshot:
        assert queries.publish_log()["publish_id"][0] == "first"
        assert queries.min_respondents() == 11  # a second query, same attachment
        assert queries.definitions().is_empty()  # a snapshot published before its data dictionary was
        assert len(attachments()) == 1 and queries.current_snapshot() == snapshot
    assert attachments() == []

    # another session's render holds the old file while a publish replaces it
    holding, release = threading.Event(), threading.Event()

    def other_render():
        with queries.reading():
            queries.publish_log()
            holding.set()
            release.wait(30)

    other = threading.Thread(target=other_render)
    other.start()
    assert holding.wait(30)
    try:
        assert queries.cached(queries.publish_log)["publish_id"][0] == "first"
        _publish(serving, "second")
        with queries.reading() as snapshot:
            assert snapshot.inode == serving.stat().st_ino
            assert queries.cached(queries.publish_log)["publish_id"][0] == "second"
    finally:
        release.set()
        other.join(30)
    assert attachments() == []
