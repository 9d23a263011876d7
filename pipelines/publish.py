"""Write-audit-publish: copy the audited marts into a new serving file and swap it in atomically.

Readers only ever open serving.duckdb. It changes in one os.replace, after every gate has passed; a crash
at any point before that leaves the previous snapshot in place. Earlier snapshots are kept for rollback.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .settings import Home

KEEP_SNAPSHOTS = 5
# Readable by DuckDB 1.4 and later, not only 2.x (BI tools and other drivers lag behind).
STORAGE_VERSION = "v1.4.0"


@dataclass(frozen=True)
class Published:
    publish_id: str
    tables: dict[str, int]
    path: Path


def publish(con: duckdb.DuckDBPyConnection, home: Home, run_id: str, checks: list[dict], vars_in_force: dict) -> Published:
    published_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    publish_id = published_at.strftime("%Y%m%dT%H%M%S") + "-" + run_id[:8]
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
    tmp = home.warehouse / f"serving.duckdb.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    previous_log = _previous_publish_log(home.serving_db)

    con.execute(f"attach '{tmp}' as serving (storage_version '{STORAGE_VERSION}')")
    try:
        con.execute("create schema serving.marts")
        con.execute("create schema serving.meta")
        counts = {}
        for table in tables:
            con.execute(f"create table serving.marts.{table} as select * from marts.{table}")
            counts[table] = con.execute(f"select count(*) from serving.marts.{table}").fetchone()[0]
        con.execute("""create table serving.meta.publish_log (publish_id varchar, published_at timestamp,
                       run_id varchar, tables varchar, rows_published bigint, files_loaded bigint, vars varchar)""")
        for row in previous_log:
            con.execute("insert into serving.meta.publish_log values (?, ?, ?, ?, ?, ?, ?)", row)
        files_loaded = con.execute("select count(*) from raw.load_log where outcome = 'loaded'").fetchone()[0]
        con.execute("insert into serving.meta.publish_log values (?, ?, ?, ?, ?, ?, ?)", [
            publish_id, published_at, run_id, json.dumps(counts), sum(counts.values()), files_loaded,
            json.dumps(vars_in_force, sort_keys=True)])
        con.execute("""create table serving.meta.check_results (publish_id varchar, asset varchar, check_name varchar,
                       passed boolean, severity varchar, detail varchar)""")
        for c in checks:
            con.execute("insert into serving.meta.check_results values (?, ?, ?, ?, ?, ?)",
                        [publish_id, c["asset"], c["check"], c["passed"], c["severity"], c["detail"]])
        con.execute("""create table serving.meta.source_freshness as
            select coalesce(family, 'unrecognised') as source_family, format,
                   count(*) filter (where outcome = 'loaded') as files_loaded,
                   count(*) filter (where outcome = 'rejected') as files_rejected,
                   count(*) filter (where outcome = 'duplicate') as files_duplicate,
                   sum(rows_loaded) as rows_loaded,
                   max(logged_at) filter (where outcome = 'loaded') as last_loaded_at
            from raw.load_log group by all order by 1, 2""")
    finally:
        con.execute("detach serving")

    _keep_snapshot(home)
    os.replace(tmp, home.serving_db)
    _export_parquet(home, tables)
    return Published(publish_id, counts, home.serving_db)


def _previous_publish_log(serving: Path) -> list[tuple]:
    if not serving.exists():
        return []
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select * from meta.publish_log order by published_at").fetchall()


def _keep_snapshot(home: Home) -> None:
    """Copy the snapshot about to be replaced; keep the newest few."""
    if not home.serving_db.exists():
        return
    home.snapshots.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    shutil.copy2(home.serving_db, home.snapshots / f"serving-{stamp}.duckdb")
    for old in snapshots(home)[:-KEEP_SNAPSHOTS]:
        old.unlink()


def snapshots(home: Home) -> list[Path]:
    return sorted(home.snapshots.glob("serving-*.duckdb"))


def rollback(home: Home) -> Path:
    """Serve the newest kept snapshot again (the current one is kept too, so a rollback can be undone)."""
    kept = snapshots(home)
    if not kept:
        raise FileNotFoundError(f"no earlier snapshot in {home.snapshots} to roll back to")
    previous = kept[-1]
    tmp = home.warehouse / f"serving.duckdb.tmp-{os.getpid()}"
    shutil.copy2(previous, tmp)
    _keep_snapshot(home)
    os.replace(tmp, home.serving_db)
    previous.unlink()
    return previous


def _export_parquet(home: Home, tables: list[str]) -> None:
    home.exports.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        for table in tables:
            tmp = home.exports / f".{table}.parquet.tmp"
            con.execute(f"copy marts.{table} to '{tmp}' (format parquet)")
            os.replace(tmp, home.exports / f"{table}.parquet")
