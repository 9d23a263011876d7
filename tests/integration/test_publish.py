"""Publishing on its own (no pipeline run): snapshots kept and rolled back, meta tables, leftovers of killed runs."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import duckdb
import pytest

from expectations.contract import MartContract
from pipelines.cli import main
from pipelines.landing import ensure_raw_tables
from pipelines.publish import KEEP_SNAPSHOTS, TMP_PREFIX, publish, rollback, served_publish_id, snapshot_id, snapshots


def publish_version(home, version: int, checks: list[dict] | None = None):
    """Build marts.t with `version` rows (each saying its version) and publish it."""
    with duckdb.connect(str(home.build_db)) as con:
        ensure_raw_tables(con)
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.t as select {version} - i as i, {version} as version "
                    f"from range({version}) r(i)")
        con.execute("create or replace table marts.stray as select 1 as x")  # not a dbt mart: never published
        contract = MartContract("t", {"i": "integer", "version": "integer"}, ("i",),
                                descriptions={"(table)": "one row per i", "i": "a row", "version": "the version"})
        return publish(con, home, f"run{version:05d}-rest", [contract], checks or [], {"version": version})


def served(home) -> tuple[int, int]:
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        return con.execute("select max(version), count(*) from marts.t").fetchone()


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_snapshots_are_kept_and_rolled_back_one_by_one(home, capsys):
    ids = [publish_version(home, v).publish_id for v in range(1, 8)]
    assert ids == sorted(ids)
    kept = snapshots(home)
    assert [snapshot_id(s) for s in kept] == ids[-KEEP_SNAPSHOTS:]
    assert sha(kept[-1]) == sha(home.serving_db) and served(home) == (7, 7)

    assert rollback(home) == kept[-2]
    assert sha(home.serving_db) == sha(kept[-2]) and served(home) == (6, 6)
    with duckdb.connect() as con:  # the exports follow the served snapshot
        assert con.execute(f"select count(*) from '{home.exports / 't.parquet'}'").fetchone()[0] == 6

    assert main(["--home", str(home.root), "rollback"]) == 0
    assert kept[-3].name in capsys.readouterr().out and served(home) == (5, 5)
    rollback(home), rollback(home)
    assert served(home) == (3, 3)
    with pytest.raises(FileNotFoundError, match=f"no snapshot published before {ids[2]}"):
        rollback(home)
    assert served(home) == (3, 3)

    publish_version(home, 8)  # publishing after a rollback carries the served snapshot's history on
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        logged = [r[0] for r in con.execute("select publish_id from meta.publish_log order by published_at").fetchall()]
    assert logged == ids[:3] + [served_publish_id(home.serving_db)]


def test_meta_tables_describe_the_publication(home):
    with duckdb.connect(str(home.build_db)) as con:
        ensure_raw_tables(con)
        con.execute("""insert into raw.load_log values
            ('a', 'm1.csv', 'aaa', 'sickness_org', 'sickness', 'loaded', 2, 2, 0, '', 'archive/m1.csv', '2025-01-01 10:00'),
            ('a', 'm1 copy.csv', 'aaa', null, null, 'duplicate', 0, 0, 0, '', 'archive/m1 copy.csv', '2025-01-02 10:00'),
            ('b', 'junk.csv', 'bbb', null, null, 'rejected', 0, 0, 0, 'not recognised', 'quarantine/junk.csv',
             '2025-01-03 10:00')""")
        con.execute("""insert into raw.sickness_org (date, org_code, fte_days_lost, fte_days_available)
                       values ('2024-04-30', 'RAL', 1, 100), ('2024-05-31', 'RAL', 2, 100)""")
    first = publish_version(home, 1, [{"asset": "marts/t", "check": "gx_t", "passed": True, "severity": "ERROR",
                                       "detail": "{}"}])
    second = publish_version(home, 2, [{"asset": "marts/t", "check": "gx_t", "passed": True, "severity": "ERROR",
                                        "detail": '{"summary": "ok"}'}])
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        log = con.execute("select publish_id, tables, rows_published, files_loaded, vars from meta.publish_log "
                          "order by published_at").fetchall()
        checks = con.execute("select publish_id, check_name, passed, detail from meta.check_results").fetchall()
        freshness = {r[1]: r for r in con.execute("select * from meta.source_freshness").fetchall()}
        published_tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                                      "where table_schema = 'marts'").fetchall()}
        rows = [r[0] for r in con.execute("select i from marts.t").fetchall()]
        definitions = con.execute("select * from meta.column_definitions order by position").fetchall()
    assert definitions == [("t", 0, "(table)", "", "one row per i"), ("t", 1, "i", "integer", "a row"),
                           ("t", 2, "version", "integer", "the version")]
    assert log == [(first.publish_id, '{"t": 1}', 1, 1, '{"version": 1}'),
                   (second.publish_id, '{"t": 2}', 2, 1, '{"version": 2}')]
    assert checks == [(second.publish_id, "gx_t", True, '{"summary": "ok"}')]
    assert freshness["sickness_org"][:8] == ("sickness", "sickness_org", "raw.sickness_org", 1, 0, 1, 2, "2024-05-31")
    assert freshness[None][:7] == ("unrecognised", None, None, 0, 1, 0, 0)
    assert published_tables == {"t"} and rows == sorted(rows)


def test_publishing_clears_what_killed_runs_left_behind(home):
    publish_version(home, 1)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        dead_tmp = home.warehouse / f"{TMP_PREFIX}{dead.stdout.strip()}"
        live_tmp = home.warehouse / f"{TMP_PREFIX}{sleeper.pid}"
        part = home.snapshots / ".serving-x.duckdb.part"
        for leftover in (dead_tmp, live_tmp, part):
            leftover.write_bytes(b"half written")
        publish_version(home, 2)
        assert not dead_tmp.exists() and not part.exists()
        assert live_tmp.exists()  # another process may still be writing it
    finally:
        sleeper.kill()
        sleeper.wait()
    assert served(home) == (2, 2)
    assert not list(home.warehouse.glob("*.wal")) and not (home.warehouse / f"{TMP_PREFIX}{os.getpid()}").exists()
