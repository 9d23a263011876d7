"""Write-audit-publish: copy the audited marts into a new serving file and swap it in atomically.

Readers only ever open serving.duckdb. It changes in one os.replace, after every gate has passed; a crash
at any point before that leaves the previous snapshot in place, byte for byte. Each published file is also
kept under snapshots/ (the newest few) for `wellbeing rollback`.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .faults import fault_point
from .settings import Home
from .sources import FORMATS

KEEP_SNAPSHOTS = 5
# Readable by DuckDB 1.4 and later, not only 2.x (BI tools and other drivers lag behind).
STORAGE_VERSION = "v1.4.0"
TMP_PREFIX = "serving.duckdb.tmp-"


@dataclass(frozen=True)
class Published:
    publish_id: str
    tables: dict[str, int]
    path: Path


def publish(con: duckdb.DuckDBPyConnection, home: Home, run_id: str, tables: list[str], checks: list[dict],
            settings: dict) -> Published:
    """Copy `tables` from the build's marts schema, with meta tables, into a new serving file; swap it in."""
    published_at = datetime.now(timezone.utc).replace(tzinfo=None)
    # sorts by time (to the millisecond), then names the run
    publish_id = f"{published_at:%Y%m%dT%H%M%S}{published_at.microsecond // 1000:03d}-{run_id[:8]}"
    remove_leftovers(home)
    tmp = home.warehouse / f"{TMP_PREFIX}{os.getpid()}"
    previous_log = _previous_publish_log(home.serving_db)

    con.execute(f"attach '{_sql_path(tmp)}' as serving (storage_version '{STORAGE_VERSION}')")
    try:
        con.execute("create schema serving.marts")
        con.execute("create schema serving.meta")
        counts = {}
        for table in tables:
            # rows in a stable order: the same inputs give the same table, row for row
            con.execute(f"create table serving.marts.{table} as select * from marts.{table} order by all")
            counts[table] = con.execute(f"select count(*) from serving.marts.{table}").fetchone()[0]
            fault_point("serving_tmp")
        _write_meta(con, publish_id, published_at, run_id, counts, checks, settings, previous_log)
    finally:
        con.execute("detach serving")  # checkpoints: the file is complete, no .wal beside it

    _fsync(tmp)
    fault_point("before_replace")
    os.replace(tmp, home.serving_db)
    _fsync(home.warehouse)
    _keep_snapshot(home, publish_id)
    _export_parquet(home, tables)
    return Published(publish_id, counts, home.serving_db)


def _write_meta(con, publish_id, published_at, run_id, counts, checks, settings, previous_log) -> None:
    con.execute("""create table serving.meta.publish_log (publish_id varchar, published_at timestamp,
                   run_id varchar, tables varchar, rows_published bigint, files_loaded bigint, vars varchar)""")
    for row in previous_log:
        con.execute("insert into serving.meta.publish_log values (?, ?, ?, ?, ?, ?, ?)", row)
    files_loaded = con.execute("select count(*) from raw.load_log where outcome = 'loaded'").fetchone()[0]
    con.execute("insert into serving.meta.publish_log values (?, ?, ?, ?, ?, ?, ?)", [
        publish_id, published_at, run_id, json.dumps(counts), sum(counts.values()), files_loaded,
        json.dumps(settings, sort_keys=True)])
    con.execute("""create table serving.meta.check_results (publish_id varchar, asset varchar, check_name varchar,
                   passed boolean, severity varchar, detail varchar)""")
    for c in checks:
        con.execute("insert into serving.meta.check_results values (?, ?, ?, ?, ?, ?)",
                    [publish_id, c["asset"], c["check"], c["passed"], c["severity"], c["detail"]])
    con.execute("""create table serving.meta.source_freshness (source_family varchar, format varchar,
                   raw_table varchar, files_loaded bigint, files_rejected bigint, files_duplicate bigint,
                   rows_in_raw bigint, latest_period varchar, last_loaded_at timestamp)""")
    for row in source_freshness(con):
        con.execute("insert into serving.meta.source_freshness values (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def source_freshness(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Per extract format: files seen by outcome, rows held, the latest period held and when it last loaded.

    A duplicate is logged without a format (it is not read again): it counts for the format its twin loaded as.
    Files whose format was never recognised share one row.
    """
    by_format = {r[0]: r[1:] for r in con.execute("""
        with logged as (
            select l.outcome, l.logged_at, coalesce(l.format, (
                select any_value(k.format) from raw.load_log k where k.sha256 = l.sha256 and k.outcome = 'loaded'
            )) as format
            from raw.load_log l)
        select format, count(*) filter (where outcome = 'loaded'), count(*) filter (where outcome = 'rejected'),
               count(*) filter (where outcome = 'duplicate'), max(logged_at) filter (where outcome = 'loaded')
        from logged group by format""").fetchall()}
    rows = []
    for fmt in FORMATS:
        loaded, rejected, duplicate, last = by_format.pop(fmt.name, (0, 0, 0, None))
        held, latest = con.execute(
            f'select count(*), max("{fmt.period}")::varchar from raw.{fmt.table}' if fmt.period
            else f"select count(*), null from raw.{fmt.table}").fetchone()
        rows.append((fmt.family, fmt.name, f"raw.{fmt.table}", loaded, rejected, duplicate, held, latest, last))
    if None in by_format:
        loaded, rejected, duplicate, last = by_format[None]
        rows.append(("unrecognised", None, None, loaded, rejected, duplicate, 0, None, last))
    return rows


def _previous_publish_log(serving: Path) -> list[tuple]:
    if not serving.exists():
        return []
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select * from meta.publish_log order by published_at").fetchall()


def served_publish_id(serving: Path) -> str | None:
    if not serving.exists():
        return None
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select max(publish_id) from meta.publish_log").fetchone()[0]


def snapshots(home: Home) -> list[Path]:
    """Kept snapshots, oldest first (publish ids sort by time)."""
    return sorted(home.snapshots.glob("serving-*.duckdb"))


def snapshot_id(snapshot: Path) -> str:
    return snapshot.stem.removeprefix("serving-")


def _keep_snapshot(home: Home, publish_id: str) -> None:
    """A copy of what was just published (written aside, then renamed); keep the newest few."""
    home.snapshots.mkdir(parents=True, exist_ok=True)
    part = home.snapshots / f".serving-{publish_id}.duckdb.part"
    shutil.copyfile(home.serving_db, part)
    os.replace(part, home.snapshots / f"serving-{publish_id}.duckdb")
    for old in snapshots(home)[:-KEEP_SNAPSHOTS]:
        old.unlink()


def rollback(home: Home) -> Path:
    """Serve the snapshot published before the one served now; repeat to go further back."""
    served = served_publish_id(home.serving_db)
    earlier = [s for s in snapshots(home) if served is None or snapshot_id(s) < served]
    if not earlier:
        raise FileNotFoundError(f"no snapshot published before {served or 'the current one'} is kept in {home.snapshots}")
    target = earlier[-1]
    tmp = home.warehouse / f"{TMP_PREFIX}{os.getpid()}"
    shutil.copyfile(target, tmp)
    _fsync(tmp)
    os.replace(tmp, home.serving_db)
    _fsync(home.warehouse)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
    _export_parquet(home, tables)
    return target


def remove_leftovers(home: Home) -> None:
    """Half-written files of runs that were killed (never of a process still running)."""
    for tmp in home.warehouse.glob(f"{TMP_PREFIX}*"):
        pid = tmp.name.removeprefix(TMP_PREFIX).split(".")[0]
        if not (pid.isdigit() and _alive(int(pid))):
            tmp.unlink(missing_ok=True)
    for part in home.snapshots.glob(".serving-*.part"):
        part.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftover from an earlier publish in this process cannot be in use
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    """Make a file (or a directory's entries) durable before relying on it surviving a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _export_parquet(home: Home, tables: list[str]) -> None:
    home.exports.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        for table in tables:
            tmp = home.exports / f".{table}.parquet.tmp"
            con.execute(f"copy marts.{table} to '{_sql_path(tmp)}' (format parquet)")
            os.replace(tmp, home.exports / f"{table}.parquet")
