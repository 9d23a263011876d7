"""Every read the dashboard makes, and nothing else: SQL over the published serving database.

One render of a page reads through one short-lived read-only attachment of the published file: `reading()`
(entered by app.py around the page) attaches it to a process-wide in-memory DuckDB on a cursor of its own and
detaches it when the page is drawn, so a publish (an atomic rename) is never blocked. Attaching takes about a
millisecond where opening a connection to the file takes ~45 ms (a new DuckDB instance each time). It also
avoids DuckDB's instance cache (STACK.md section 4): `duckdb.connect(path)` while another connection to that path
is open in the process returns the old file's data, whereas each ATTACH reads the file the path names now.

Results are cached per published snapshot: the cache key holds the serving file's path, inode, size and
modification time, checked unchanged around the attach, so the first render after a publish reads the new file.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from pipelines.settings import Home

# dim_ics has one row per code and validity interval: the latest names the ICS
LATEST_ICS = """(select * from marts.dim_ics qualify row_number() over (
                    partition by icb_code order by valid_from desc) = 1)"""
# a publish renames a new file over the served one; attach again if that happens while attaching
ATTACH_ATTEMPTS = 5


def serving_path() -> Path:
    """The home's published file (WELLBEING_SERVING_DB serves a file outside any home)."""
    return Path(os.environ.get("WELLBEING_SERVING_DB") or Home.from_env().serving_db)


@dataclass(frozen=True)
class Snapshot:
    """The published file as it is now: a new publish (a new inode and mtime) is a new snapshot."""

    path: str
    inode: int
    size: int
    mtime_ns: int


def _stat_snapshot() -> Snapshot | None:
    path = serving_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return Snapshot(str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


@functools.cache
def _engine() -> duckdb.DuckDBPyConnection:
    """The process's in-memory DuckDB: it holds no file of its own, only the attachments of open reads."""
    return duckdb.connect(":memory:")


def _literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class _Read:
    """One read of the published snapshot: a cursor of its own with the file attached under a unique name."""

    def __init__(self) -> None:
        self.snapshot = _stat_snapshot()
        self.cursor: duckdb.DuckDBPyConnection | None = None
        self.alias = f"serving_{uuid.uuid4().hex}"
        for _ in range(ATTACH_ATTEMPTS):
            if self.snapshot is None:
                return
            cursor = _engine().cursor()
            try:
                cursor.execute(f"attach {_literal(self.snapshot.path)} as {self.alias} (read_only)")
            except duckdb.IOException:
                cursor.close()
                after = _stat_snapshot()
                if after == self.snapshot:  # the file itself cannot be read
                    raise
                self.snapshot = after  # renamed away between the stat and the attach: look again
                continue
            after = _stat_snapshot()
            if after == self.snapshot:  # no publish since the stat: the attached file is this snapshot
                cursor.execute(f"use {self.alias}")
                self.cursor = cursor
                return
            cursor.execute(f"detach {self.alias}")
            cursor.close()
            self.snapshot = after
        raise RuntimeError(f"{serving_path()} kept changing while it was being opened; try again")

    def close(self) -> None:
        if self.cursor is not None:
            self.cursor.execute("use memory")
            self.cursor.execute(f"detach {self.alias}")
            self.cursor.close()
            self.cursor = None


_current = threading.local()  # the read of the render running in this thread (Streamlit: one per session)


@contextmanager
def reading() -> Iterator[Snapshot | None]:
    """Every query inside shares one read of the snapshot published when it began (None: nothing published).
    Nested use shares the outer read."""
    active = getattr(_current, "read", None)
    if active is not None:
        yield active.snapshot
        return
    read = _current.read = _Read()
    try:
        yield read.snapshot
    finally:
        _current.read = None
        read.close()


def current_snapshot() -> Snapshot | None:
    """The snapshot this render reads (None when nothing is published yet)."""
    with reading() as snapshot:
        return snapshot


def cached(query, *args):
    """query(*args), cached for the snapshot this render reads."""
    with reading() as snapshot:
        return _cached(query.__name__, snapshot, *args)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(name: str, snapshot: Snapshot | None, *args):
    return QUERIES[name](*args)


def _cursor() -> duckdb.DuckDBPyConnection:
    """The cursor of the read in force (call inside `reading()`)."""
    cursor = _current.read.cursor
    if cursor is None:
        raise FileNotFoundError(f"nothing is published: {serving_path()} does not exist")
    return cursor


def _query(sql: str, params: list | dict | None = None) -> pl.DataFrame:
    with reading():
        return _cursor().sql(sql, params=params or None).pl()


# --- the snapshot -------------------------------------------------------------------------------------------

def publish_log() -> pl.DataFrame:
    """Every publish this snapshot records, newest first."""
    return _query("""select publish_id, published_at, run_id, rows_published, files_loaded, tables, vars
                     from meta.publish_log order by published_at desc""")


def min_respondents() -> int:
    """The survey threshold in force for this snapshot (recorded with the publish)."""
    log = publish_log()
    settings = json.loads(log["vars"][0] or "{}") if log.height else {}
    return int(settings.get("disclosure", {}).get("min_respondents", 11))


def regions() -> pl.DataFrame:
    return _query(f"""select distinct region_code, coalesce(region_name, region_code) as region_name
                      from {LATEST_ICS} where region_code is not null order by region_name""")


def months(basis: str) -> pl.DataFrame:
    return _query("""select distinct period_month from marts.ics_sickness_monthly where boundary_basis = ?
                     order by period_month desc""", [basis])


# --- overview -----------------------------------------------------------------------------------------------

def overview(basis: str, month) -> pl.DataFrame:
    """One row per ICS with figures in `month`: BRI, the survey year behind it, sickness, leavers, social care."""
    return _query(f"""
        with icss as (
            select icb_code from marts.ics_sickness_monthly where boundary_basis = $basis and period_month = $month
            union select icb_code from marts.ics_burnout_risk where boundary_basis = $basis and period_month = $month
            union select icb_code from marts.ics_turnover_monthly where boundary_basis = $basis and period_month = $month)
        select i.icb_code, d.icb_name, d.region_code, coalesce(d.region_name, d.region_code) as region_name,
               d.valid_to, d.successor_icb_code,
               r.bri, r.bri_band, r.bri_reason, r.bri_dominant_component, r.n_components,
               r.survey_year_used, r.survey_staleness_months, r.social_care_year_used,
               r.c_burnout_rank, r.c_psych_safety_deficit_rank, r.c_stress_rank, r.c_sickness_rank,
               r.c_mh_absence_rank, r.c_leavers_rank, r.c_social_care_turnover_rank,
               p.suppressed as survey_suppressed, p.n_respondents_label, p.psi_pct_positive, p.psi_pct_positive_lower,
               p.psi_pct_positive_upper, p.psi_pct_positive_change, p.psi_pct_positive_significant,
               b.pct_high_burnout, b.burnout_pct_often_always, b.pct_unwell_stress,
               s.sickness_rate, s.sickness_rate_12m, s.sickness_rate_12m_reason, s.spc_signal as sickness_spc_signal,
               s.spc_reason as sickness_spc_reason, s.mh_absence_share,
               t.leaver_rate, t.leaver_rate_12m, t.leaver_rate_12m_reason, t.spc_signal as leaver_spc_signal,
               t.spc_reason as leaver_spc_reason,
               c.suppressed as social_care_suppressed, c.asc_turnover_rate, c.asc_vacancy_rate
        from icss i
        left join {LATEST_ICS} d using (icb_code)
        left join marts.ics_burnout_risk r
            on r.icb_code = i.icb_code and r.boundary_basis = $basis and r.period_month = $month
        left join marts.ics_sickness_monthly s
            on s.icb_code = i.icb_code and s.boundary_basis = $basis and s.period_month = $month
        left join marts.ics_turnover_monthly t
            on t.icb_code = i.icb_code and t.boundary_basis = $basis and t.period_month = $month
        left join marts.ics_psychological_safety p
            on p.icb_code = i.icb_code and p.boundary_basis = $basis and p.survey_year = r.survey_year_used
        left join marts.ics_burnout_survey b
            on b.icb_code = i.icb_code and b.boundary_basis = $basis and b.survey_year = r.survey_year_used
        left join marts.ics_social_care c
            on c.icb_code = i.icb_code and c.boundary_basis = $basis and c.year = r.social_care_year_used
        order by r.bri desc nulls last, d.icb_name""", {"basis": basis, "month": month})


def national_month(basis: str, month) -> pl.DataFrame:
    return _query("""
        select s.period_month, s.sickness_rate, s.sickness_rate_12m, s.mh_absence_share, t.leaver_rate, t.leaver_rate_12m
        from marts.national_sickness_monthly s
        left join marts.national_turnover_monthly t using (period_month, boundary_basis)
        where s.boundary_basis = ? and s.period_month = ?""", [basis, month])


# --- ICS page -----------------------------------------------------------------------------------------------

def ics_choices(basis: str) -> pl.DataFrame:
    """ICSs with figures on this basis, abolished ones included (with what became of them)."""
    return _query(f"""
        with seen as (
            select icb_code, min(period_month) as first_month, max(period_month) as last_month
            from marts.ics_sickness_monthly where boundary_basis = ? group by icb_code)
        select s.icb_code, coalesce(d.icb_name, s.icb_code) as icb_name, d.valid_to, d.successor_icb_code,
               succ.icb_name as successor_name, s.first_month, s.last_month
        from seen s
        left join {LATEST_ICS} d using (icb_code)
        left join {LATEST_ICS} succ on succ.icb_code = d.successor_icb_code
        order by d.valid_to nulls first, icb_name""", [basis])


def ics_lifecycle(icb_code: str) -> pl.DataFrame:
    """The ICS's own intervals and the ICSs that were merged into it."""
    return _query("""
        select 'self' as relation, icb_code, icb_name, icb_long_name, region_code, region_name, valid_from, valid_to,
               successor_icb_code, split_into_icb_codes, current_icb_code
        from marts.dim_ics where icb_code = $code
        union all
        select 'predecessor', icb_code, icb_name, icb_long_name, region_code, region_name, valid_from, valid_to,
               successor_icb_code, split_into_icb_codes, current_icb_code
        from marts.dim_ics where successor_icb_code = $code and icb_code <> $code
        order by relation desc, valid_from""", {"code": icb_code})


def sickness_series(icb_code: str, basis: str) -> pl.DataFrame:
    return _query("""
        select s.period_month, s.sickness_rate, s.sickness_rate_12m, s.sickness_rate_12m_reason, s.mh_absence_share,
               s.reason_unknown_share, s.spc_centre, s.spc_lower_limit, s.spc_upper_limit, s.spc_rule, s.spc_signal,
               s.spc_reason, s.mh_spc_centre, s.mh_spc_lower_limit, s.mh_spc_upper_limit, s.mh_spc_rule,
               s.mh_spc_signal, s.mh_spc_reason,
               n.sickness_rate as england_sickness_rate, n.mh_absence_share as england_mh_absence_share
        from marts.ics_sickness_monthly s
        left join marts.national_sickness_monthly n using (period_month, boundary_basis)
        where s.icb_code = ? and s.boundary_basis = ?
        order by s.period_month""", [icb_code, basis])


def turnover_series(icb_code: str, basis: str) -> pl.DataFrame:
    return _query("""
        select t.period_month, t.leaver_rate, t.leaver_rate_12m, t.leaver_rate_12m_reason, t.joiner_rate,
               t.stability_index, t.spc_centre, t.spc_lower_limit, t.spc_upper_limit, t.spc_rule, t.spc_signal,
               t.spc_reason, n.leaver_rate as england_leaver_rate
        from marts.ics_turnover_monthly t
        left join marts.national_turnover_monthly n using (period_month, boundary_basis)
        where t.icb_code = ? and t.boundary_basis = ?
        order by t.period_month""", [icb_code, basis])


def survey_series(icb_code: str, basis: str) -> pl.DataFrame:
    return _query("""
        select p.survey_year, p.suppressed, p.n_respondents_label, p.weighting,
               p.psi_pct_positive, p.psi_pct_positive_lower, p.psi_pct_positive_upper, p.psi_pct_positive_change,
               p.psi_pct_positive_significant, p.psi_score, p.psi_org_min, p.psi_org_max, p.n_orgs_in_spread,
               coalesce(b.pct_high_burnout, b.burnout_pct_often_always) as burnout_pct,
               coalesce(b.pct_high_burnout_lower, b.burnout_pct_often_always_lower) as burnout_pct_lower,
               coalesce(b.pct_high_burnout_upper, b.burnout_pct_often_always_upper) as burnout_pct_upper,
               case when b.pct_high_burnout is not null then 'high burnout (CBI 50+)'
                    when b.burnout_pct_often_always is not null then 'often or always burnt out' end as burnout_measure,
               b.pct_unwell_stress, b.pct_unwell_stress_lower, b.pct_unwell_stress_upper
        from marts.ics_psychological_safety p
        full join marts.ics_burnout_survey b using (icb_code, boundary_basis, survey_year)
        where icb_code = ? and boundary_basis = ?
        order by survey_year""", [icb_code, basis])


def bri_series(icb_code: str, basis: str) -> pl.DataFrame:
    return _query("""
        select period_month, bri, bri_band, bri_reason, n_components, bri_dominant_component,
               c_burnout_rank, c_psych_safety_deficit_rank, c_stress_rank, c_sickness_rank, c_mh_absence_rank,
               c_leavers_rank, c_social_care_turnover_rank
        from marts.ics_burnout_risk where icb_code = ? and boundary_basis = ? order by period_month""",
                  [icb_code, basis])


def social_care_beside_nhs(icb_code: str, basis: str) -> pl.DataFrame:
    """Skills for Care's yearly figures beside the NHS 12-month figures in the same unit (leaver rate, % a year;
    sickness days per FTE a year) at the last month of that year."""
    return _query("""
        with leavers as (
            select year(period_month) as year, arg_max(leaver_rate_12m, period_month) as nhs_leaver_rate_12m,
                   max(period_month) as nhs_month
            from marts.ics_turnover_monthly where icb_code = $code and boundary_basis = $basis group by all),
        sickness as (
            select year(period_month) as year,
                   arg_max(sickness_days_per_fte_12m, period_month) as nhs_sickness_days_per_fte_12m
            from marts.ics_sickness_monthly where icb_code = $code and boundary_basis = $basis group by all)
        select c.year, c.suppressed, c.n_las, c.n_las_withheld, c.n_workers, c.asc_turnover_rate,
               c.asc_vacancy_rate, c.asc_sickness_days_per_worker, l.nhs_leaver_rate_12m, l.nhs_month,
               s.nhs_sickness_days_per_fte_12m
        from marts.ics_social_care c left join leavers l using (year) left join sickness s using (year)
        where c.icb_code = $code and c.boundary_basis = $basis order by c.year""",
                  {"code": icb_code, "basis": basis})


def member_organisations(icb_code: str, basis: str, month) -> pl.DataFrame:
    """The ICS's organisations that month (all staff groups) beside England's rate for their peer group."""
    return _query("""
        with members as (
            select o.* from marts.org_sickness_monthly o
            where o.period_month = $month and o.staff_group = (
                      select any_value(staff_group) from marts.national_sickness_peer_monthly where is_all_staff)
              and ($basis = 'as_at' and o.icb_code = $code
                   or $basis = 'current' and o.org_code in (
                       select org_code from marts.dim_organisation where is_latest_membership and current_icb_code = $code)))
        select m.org_code, m.org_name, m.org_type, m.suppressed, m.suppression_reason, m.sickness_rate,
               m.sickness_rate_12m, m.sickness_rate_12m_reason, m.mh_absence_share,
               peer.sickness_rate as peer_sickness_rate, peer.n_orgs as peer_n_orgs
        from members m
        left join marts.national_sickness_peer_monthly peer
            on peer.org_type = m.org_type and peer.staff_group = m.staff_group and peer.period_month = m.period_month
        order by m.org_type, m.org_name""", {"code": icb_code, "basis": basis, "month": month})


def member_survey(icb_code: str, basis: str, survey_year: int) -> pl.DataFrame:
    return _query("""
        select p.org_code, p.org_name, p.suppressed, p.suppression_reason, p.n_respondents_label,
               p.psi_pct_positive, p.psi_pct_positive_lower, p.psi_pct_positive_upper,
               b.burnout_pct_often_always, b.pct_high_burnout, b.pct_unwell_stress
        from marts.org_psychological_safety p
        left join marts.org_burnout_survey b using (org_code, survey_year)
        where p.survey_year = $year
          and ($basis = 'as_at' and p.icb_code = $code
               or $basis = 'current' and p.org_code in (
                   select org_code from marts.dim_organisation where is_latest_membership and current_icb_code = $code))
        order by p.org_name""", {"code": icb_code, "basis": basis, "year": survey_year})


def organisation_series(org_code: str) -> pl.DataFrame:
    """One organisation's monthly sickness (all staff groups) beside England's rate for its peer group."""
    return _query("""
        select o.period_month, o.org_type, o.suppressed, o.suppression_reason, o.sickness_rate,
               peer.sickness_rate as peer_sickness_rate
        from marts.org_sickness_monthly o
        join marts.national_sickness_peer_monthly peer
            on peer.org_type = o.org_type and peer.staff_group = o.staff_group and peer.period_month = o.period_month
        where o.org_code = ? and peer.is_all_staff
        order by o.period_month""", [org_code])


def organisation_staff_groups(org_code: str, month) -> pl.DataFrame:
    return _query("""
        select o.staff_group, o.suppressed, o.suppression_reason, o.sickness_rate, o.sickness_rate_12m,
               o.sickness_rate_12m_reason, peer.sickness_rate as peer_sickness_rate, peer.is_all_staff
        from marts.org_sickness_monthly o
        left join marts.national_sickness_peer_monthly peer
            on peer.org_type = o.org_type and peer.staff_group = o.staff_group and peer.period_month = o.period_month
        where o.org_code = ? and o.period_month = ?
        order by peer.is_all_staff desc nulls last, o.staff_group""", [org_code, month])


# --- alerts -------------------------------------------------------------------------------------------------

def alerts(basis: str) -> pl.DataFrame:
    """Active alerts with their evidence and since when (`alert_since`, computed in dbt)."""
    return _query("""
        select icb_code, coalesce(icb_name, icb_code) as icb_name, region_code, alert_reason, period_month,
               survey_year, alert_since as since_month, measure, value, previous_value, spc_centre, spc_lower_limit,
               spc_upper_limit, spc_rule, z_score, bri, bri_band, bri_dominant_component, evidence
        from marts.ics_alerts
        where boundary_basis = ?
        order by alert_reason, icb_name""", [basis])


def previous_snapshot() -> Path | None:
    """The kept snapshot published just before the one served now (None after the first publish)."""
    log = publish_log()
    if log.height < 2:
        return None
    path = serving_path().parent / "snapshots" / f"serving-{log['publish_id'][1]}.duckdb"
    return path if path.exists() else None


def alert_changes(basis: str) -> pl.DataFrame:
    """Alerts raised or cleared since the previous publish (empty when there is none to compare with)."""
    previous = previous_snapshot()
    if previous is None:
        return pl.DataFrame(schema={"change": pl.String, "icb_code": pl.String, "icb_name": pl.String,
                                    "alert_reason": pl.String})
    alias = f"previous_{uuid.uuid4().hex}"  # attachment names are shared by every read in the process
    with reading():
        _cursor().execute(f"attach {_literal(previous)} as {alias} (read_only)")
        try:
            return _query(f"""
                with now as (select icb_code, icb_name, alert_reason from marts.ics_alerts where boundary_basis = $b),
                     before as (select icb_code, icb_name, alert_reason from {alias}.marts.ics_alerts
                                where boundary_basis = $b)
                select 'new' as change, * from (select * from now except select * from before)
                union all
                select 'cleared', * from (select * from before except select * from now)
                order by change desc, icb_name""", {"b": basis})
        finally:
            _cursor().execute(f"detach {alias}")


def table_changes() -> pl.DataFrame:
    """Rows per published table now and at the previous publish."""
    log = publish_log()
    now = json.loads(log["tables"][0]) if log.height else {}
    before = json.loads(log["tables"][1]) if log.height > 1 else {}
    return pl.DataFrame({"table": list(now), "rows_now": list(now.values()),
                         "rows_before": [before.get(t) for t in now]},
                        schema={"table": pl.String, "rows_now": pl.Int64, "rows_before": pl.Int64})


# --- data & quality -----------------------------------------------------------------------------------------

def check_results() -> pl.DataFrame:
    """The checks behind the publish served now."""
    return _query("""
        select asset, check_name, passed, severity, detail from meta.check_results
        where publish_id = (select max(publish_id) from meta.publish_log)
        order by passed, asset, check_name""")


def source_freshness() -> pl.DataFrame:
    return _query("""select source_family, format, raw_table, files_loaded, files_rejected, files_duplicate,
                            rows_in_raw, latest_period, last_loaded_at, status
                     from meta.source_freshness order by source_family, format""")


def rejected_files() -> pl.DataFrame:
    """Files the pipeline quarantined, with the first line of their reason (it names file, row and column)."""
    quarantine = serving_path().parent.parent / "quarantine"
    rows = []
    for reason in sorted(quarantine.glob("*.reason.txt")):
        text = reason.read_text(errors="replace").strip().splitlines()
        rows.append({"file": reason.name.removesuffix(".reason.txt"), "reason": text[0] if text else ""})
    return pl.DataFrame(rows, schema={"file": pl.String, "reason": pl.String})


def definitions() -> pl.DataFrame:
    """Every published table and column with its description: the data dictionary published with the snapshot
    (empty for a snapshot published before the dictionary was, until the next publish)."""
    published = _query("""select count(*) as n from duckdb_tables() where database_name = current_database()
                          and schema_name = 'meta' and table_name = 'column_definitions'""")["n"][0]
    if not published:
        return pl.DataFrame(schema={"table": pl.String, "column": pl.String, "type": pl.String,
                                    "description": pl.String})
    return _query("""select table_name as "table", column_name as "column", data_type as type, description
                     from meta.column_definitions order by table_name, position""")


QUERIES = {f.__name__: f for f in (
    publish_log, min_respondents, regions, months, overview, national_month, ics_choices, ics_lifecycle,
    sickness_series, turnover_series, survey_series, bri_series, social_care_beside_nhs, member_organisations,
    member_survey, organisation_series, organisation_staff_groups, alerts, alert_changes, table_changes,
    check_results, source_freshness, rejected_files, definitions)}
