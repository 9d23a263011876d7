"""Write-audit-publish: copy the audited marts into a new serving file and swap it in atomically.

Readers only ever open serving.duckdb. It changes in one os.replace, after every gate has passed; a crash
at any point before that leaves the previous snapshot in place, byte for byte. Each published file is also
kept under snapshots/ (the newest few) for `wellbeing rollback`. Published files are read-only (0444): they
are replaced, never changed. A serving file that is missing or unreadable while good snapshots exist is
restored from the newest one (`restore_serving`), by `run`, `status` and `rollback`.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expectations.contract import MartContract

from .faults import fault_point
from .freshness import source_freshness
from .settings import Home

KEEP_SNAPSHOTS = 5
# Readable by DuckDB 1.4 and later, not only 2.x (BI tools and other drivers lag behind).
STORAGE_VERSION = "v1.4.0"
TMP_PREFIX = "serving.duckdb.tmp-"
READ_ONLY = 0o444
# a text cell starting with one of these is a formula to a spreadsheet: exports prefix it with an apostrophe
FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Published:
    publish_id: str
    tables: dict[str, int]
    path: Path


def publish(con: duckdb.DuckDBPyConnection, home: Home, run_id: str, contracts: list[MartContract],
            checks: list[dict], settings: dict) -> Published:
    """Copy the marts of `contracts` from the build's marts schema, with meta tables, into a new serving file;
    swap it in."""
    tables = [c.table for c in contracts]
    published_at = datetime.now(UTC).replace(tzinfo=None)
    # sorts by time (to the millisecond), then names the run
    publish_id = f"{published_at:%Y%m%dT%H%M%S}{published_at.microsecond // 1000:03d}-{run_id[:8]}"
    remove_leftovers(home)
    tmp = home.warehouse / f"{TMP_PREFIX}{os.getpid()}"
    with served_copy(home) as served:
        previous_log = _previous_publish_log(served)

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
        _write_definitions(con, contracts)
    finally:
        con.execute("detach serving")  # checkpoints: the file is complete, no .wal beside it

    tmp.chmod(READ_ONLY)
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
                   rows_in_raw bigint, latest_period varchar, last_loaded_at timestamp, age_months integer,
                   max_age_months integer, status varchar)""")
    for row in source_freshness(con, published_at.date()):
        con.execute("insert into serving.meta.source_freshness values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def _write_definitions(con, contracts: list[MartContract]) -> None:
    """The data dictionary of this snapshot: each table's and column's description as the dbt project declared
    them when these tables were built (a reader of an older snapshot reads that snapshot's definitions)."""
    con.execute("""create table serving.meta.column_definitions (table_name varchar, position integer,
                   column_name varchar, data_type varchar, description varchar)""")
    con.executemany("insert into serving.meta.column_definitions values (?, ?, ?, ?, ?)", [
        (c.table, position, column, c.columns.get(column, ""), text)
        for c in contracts for position, (column, text) in enumerate(c.descriptions.items())])


def _previous_publish_log(serving: Path | None) -> list[tuple]:
    if serving is None:
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
    part.chmod(READ_ONLY)
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
    _serve_snapshot(home, target)
    return target


def _serve_snapshot(home: Home, snapshot: Path) -> None:
    tmp = home.warehouse / f"{TMP_PREFIX}{os.getpid()}"
    shutil.copyfile(snapshot, tmp)
    tmp.chmod(READ_ONLY)
    _fsync(tmp)
    os.replace(tmp, home.serving_db)
    _fsync(home.warehouse)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
    _export_parquet(home, tables)


def _is_lock_error(err: duckdb.Error) -> bool:
    return "lock" in str(err).lower()


def readable(path: Path) -> bool:
    """A published file that opens and has its publish log (one another process holds open read-write counts)."""
    if not path.exists():
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute("select max(publish_id) from meta.publish_log").fetchone()[0] is not None
    except duckdb.Error as err:
        return _is_lock_error(err)


def restore_serving(home: Home) -> Path | None:
    """Serve the newest good snapshot again when serving.duckdb is missing or unreadable; the snapshot restored,
    or None when the served file is fine (or nothing was ever published)."""
    if readable(home.serving_db):
        return None
    good = next((s for s in reversed(snapshots(home)) if readable(s)), None)
    if good is not None:
        _serve_snapshot(home, good)
    return good


@contextmanager
def served_copy(home: Home):
    """A path to read what is served now: serving.duckdb itself, or, while another process holds it open
    read-write (which DuckDB lets no one else open), a private copy of its bytes; None before the first publish."""
    if not home.serving_db.exists():
        yield None
        return
    try:
        duckdb.connect(str(home.serving_db), read_only=True).close()
    except duckdb.Error as err:
        if not _is_lock_error(err):
            raise
        copy = home.warehouse / f".served-copy-{os.getpid()}.duckdb"
        shutil.copyfile(home.serving_db, copy)
        try:
            yield copy
        finally:
            copy.unlink(missing_ok=True)
        return
    yield home.serving_db


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
    """Parquet of each published table; text that a spreadsheet would run as a formula gets a leading apostrophe
    (the marts keep the text as given)."""
    home.exports.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        for table in tables:
            columns = con.execute("select column_name, data_type from information_schema.columns where "
                                  "table_schema = 'marts' and table_name = ? order by ordinal_position",
                                  [table]).fetchall()
            select = ", ".join(neutralised(name) if dtype == "VARCHAR" else f'"{name}"' for name, dtype in columns)
            tmp = home.exports / f".{table}.parquet.tmp"
            con.execute(f"copy (select {select} from marts.{table}) to '{_sql_path(tmp)}' (format parquet)")
            os.replace(tmp, home.exports / f"{table}.parquet")


def neutralised(column: str) -> str:
    """SQL for a text column with spreadsheet formulas defused: '=cmd|...' is exported as "'=cmd|...". """
    prefixes = ", ".join(f"'{p}'" for p in FORMULA_PREFIXES)
    return (f'case when left("{column}", 1) in ({prefixes}) then \'\'\'\' || "{column}" '
            f'else "{column}" end as "{column}"')
