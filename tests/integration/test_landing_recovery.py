"""Taking files safely and recovering from bad loads: stable files only, one private copy whose bytes are the ones
loaded, hashed and archived; hidden and skipped files logged; long names; resends after a correction; retract;
rebuild from the archive; purge of clear record-level extracts; the key rules; private folders."""
from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

import duckdb
import pytest

import pipelines.landing as landing
from pipelines.keys import KEY_ENV, KeyProblem, create_key, preflight
from pipelines.landing import (
    RetractRefused,
    ensure_raw_tables,
    ingest,
    load_file,
    purge_record_level,
    ready_files,
    rebuild,
    retract,
    route,
    staged_families,
)
from pipelines.settings import Home
from tests.fixtures.samples import SAMPLES, write_sample

KEY = b"landing-test-key"
SICKNESS_NAME, SICKNESS = SAMPLES["sickness_org"]
CORRECTED = SICKNESS.replace("1000.5,20000,5.00", "1100.5,20000,5.50")
LATER = time.time() + 3600  # a "now" at which every file written by the test has settled


def raw_rows(con, table: str = "sickness_org") -> list[tuple]:
    return con.execute(f"select * exclude (_loaded_at, _load_id, _source_sha256) from raw.{table} order by all").fetchall()


def everything(con) -> dict[str, list]:
    tables = con.execute("select table_schema, table_name from information_schema.tables "
                         "where table_schema in ('raw', 'landing') and table_name not in ('load_log', 'pseudonym_key') "
                         "order by all").fetchall()
    return {f"{s}.{t}": con.execute(f"select * from {s}.{t} order by all").fetchall() for s, t in tables}


# ------------------------------------------------------------------------------------------- which files

def test_ready_files_takes_settled_files_waits_for_fresh_ones_and_says_why_it_skips_others(tmp_path):
    home = Home(tmp_path / "home").ensure()
    settled = write_sample(home.landing, "sickness_org")
    os.utime(settled, (time.time() - 60, time.time() - 60))
    fresh = write_sample(home.landing, "leavers")
    hidden = write_sample(home.landing, "sickness_reason", file_name=".sickness_reason.csv")
    (home.landing / "link.csv").symlink_to(settled)
    scan = ready_files(home, time.time(), settle=5)
    assert scan.ready == [settled]
    assert scan.waiting == [fresh]
    assert {p.name: why.split(":")[0] for p, why in scan.skipped} == {
        ".sickness_reason.csv": "a hidden file (a name starting with '.')", "link.csv": "a symbolic link"}
    assert hidden.exists()
    assert ready_files(home, time.time() + 10, settle=5).ready == [fresh, settled]


def test_the_router_logs_skipped_and_waiting_files_on_every_run_and_leaves_them(warehouse):
    home, con = warehouse
    write_sample(home.landing, "sickness_org", file_name=".hidden.csv")
    fresh = write_sample(home.landing, "leavers")
    for _ in range(2):
        results = route(con, home, now=time.time(), settle=30)
        assert sorted((r.file, r.outcome) for r in results) == [(".hidden.csv", "skipped"), (fresh.name, "waiting")]
    logged = con.execute("select outcome, message from raw.load_log order by logged_at").fetchall()
    assert len(logged) == 4 and {o for o, _ in logged} == {"skipped", "waiting"}
    assert any("rename it to load it" in m for _, m in logged)
    assert sorted(p.name for p in home.landing.iterdir()) == [".hidden.csv", fresh.name]


def test_a_file_growing_while_it_is_copied_is_not_loaded_until_complete_and_nothing_is_lost(warehouse, monkeypatch):
    home, con = warehouse
    header, *rows = SICKNESS.splitlines()
    path = home.landing / "growing.csv"
    path.write_text("\n".join([header, rows[0]]) + "\n")
    real_copy = landing.copy_and_scan

    def copy_while_the_writer_appends(source, target):
        copied = real_copy(source, target)
        with source.open("a") as writer:  # the writer is not finished: more rows arrive after our read
            writer.write("\n".join(rows[1:]) + "\n")
        return copied

    monkeypatch.setattr(landing, "copy_and_scan", copy_while_the_writer_appends)
    first = route(con, home, now=LATER)
    assert [(r.file, r.outcome) for r in first] == [("growing.csv", "waiting")]
    assert path.exists() and staged_families(home) == {}
    assert raw_rows(con) == [] and not list(landing.staging_dir(home).glob("*.csv"))

    monkeypatch.setattr(landing, "copy_and_scan", real_copy)
    assert route(con, home, now=LATER) == []
    [result] = ingest(con, home, "sickness")
    assert (result.outcome, result.rows_loaded) == ("loaded", 3)
    archived = (home.root / result.stored_as).read_bytes()
    assert archived == SICKNESS.encode()
    assert con.execute("select sha256 from raw.load_log where load_id = ?", [result.load_id]).fetchone()[0] == \
        hashlib.sha256(archived).hexdigest()
    assert not path.exists()


def test_a_file_changed_after_the_settle_check_is_left_for_the_next_run(warehouse):
    home, con = warehouse
    path = write_sample(home.landing, "sickness_org")
    assert route(con, home, now=time.time(), settle=60)[0].outcome == "waiting"
    assert path.exists() and raw_rows(con) == []


# ----------------------------------------------------------------------------------------- names and resends

def test_a_246_character_file_name_loads_archives_and_does_not_block_later_files(warehouse):
    home, con = warehouse
    long_name = "sickness_" + "x" * 233 + ".csv"
    assert len(long_name) == 246
    result = load_file(con, home, write_sample(home.landing, "sickness_org", file_name=long_name), KEY)
    assert result.outcome == "loaded" and len(Path(result.stored_as).name) < 120
    assert (home.root / result.stored_as).read_bytes() == SICKNESS.encode()
    bad = load_file(con, home, write_sample(home.landing, "sickness_org", "nonsense\n", long_name[:-4] + "y.csv"), KEY)
    assert bad.outcome == "rejected" and (home.root / bad.stored_as).exists()
    assert (home.quarantine / f"{bad.load_id}.reason.txt").read_text().startswith(long_name[:-4] + "y.csv")
    assert load_file(con, home, write_sample(home.landing, "sickness_reason"), KEY).outcome == "loaded"


def test_resending_the_original_after_a_correction_is_a_new_load_that_restores_it(warehouse):
    home, con = warehouse
    assert load_file(con, home, write_sample(home.landing, "sickness_org"), KEY).outcome == "loaded"
    original = raw_rows(con)
    assert load_file(con, home, write_sample(home.landing, "sickness_org", CORRECTED), KEY).rows_superseded == 3
    assert raw_rows(con) != original
    again = load_file(con, home, write_sample(home.landing, "sickness_org"), KEY)
    assert (again.outcome, again.rows_superseded) == ("loaded", 3)
    assert raw_rows(con) == original
    same_again = load_file(con, home, write_sample(home.landing, "sickness_org"), KEY)
    assert same_again.outcome == "duplicate"


# ----------------------------------------------------------------------------------------- retract and rebuild

def test_retracting_a_correction_brings_back_the_rows_it_superseded(warehouse):
    home, con = warehouse
    first = load_file(con, home, write_sample(home.landing, "sickness_org"), KEY)
    original = raw_rows(con)
    correction = load_file(con, home, write_sample(home.landing, "sickness_org", CORRECTED), KEY)
    done = retract(con, home, SICKNESS_NAME)  # by file name: its latest load in force
    assert (done.load_id, done.rows_removed, done.rows_restored) == (correction.load_id, 3, 3)
    assert raw_rows(con) == original
    assert con.execute("select count(*) from landing.superseded_sickness_org").fetchone()[0] == 0
    assert con.execute("select outcome from raw.load_log where load_id = ?", [correction.load_id]).fetchone() == \
        ("retracted",)
    assert retract(con, home, first.load_id).rows_restored == 0  # by load id
    assert raw_rows(con) == []
    with pytest.raises(RetractRefused, match="no load in force"):
        retract(con, home, first.load_id)


def test_retracting_a_middle_correction_keeps_what_a_later_one_covers(warehouse):
    home, con = warehouse
    load_file(con, home, write_sample(home.landing, "sickness_org"), KEY)
    middle = load_file(con, home, write_sample(home.landing, "sickness_org", CORRECTED), KEY)
    only_rj1 = "\n".join(SICKNESS.splitlines()[:2]).replace("1000.5,20000,5.00", "999.5,20000,5.00") + "\n"
    load_file(con, home, write_sample(home.landing, "sickness_org", only_rj1), KEY)
    retract(con, home, middle.load_id)
    assert con.execute("select org_code, fte_days_lost from raw.sickness_org order by 1").fetchall() == [
        ("0AR", 1868.54684), ("RJ1", 999.5), ("RJ2", 512.25)]


def test_rebuild_replays_the_archive_in_load_order_to_the_same_warehouse(warehouse):
    home, con = warehouse
    load_file(con, home, write_sample(home.landing, "sickness_org"), KEY)
    load_file(con, home, write_sample(home.landing, "sickness_org", CORRECTED), KEY)
    wrong = load_file(con, home, write_sample(home.landing, "sickness_reason",
                                              SAMPLES["sickness_reason"][1].replace("2024", "2099")), KEY)
    retract(con, home, wrong.load_id)
    load_file(con, home, write_sample(home.landing, "staff_in_post"), KEY)
    load_file(con, home, write_sample(home.landing, "sickness_org", "nonsense\n", "bad.csv"), KEY)
    before = everything(con)
    con.close()
    home.build_db.write_bytes(home.build_db.read_bytes()[:4096])  # a truncated build database
    results = rebuild(home, KEY)
    assert [r.outcome for r in results] == ["loaded"] * 3
    with duckdb.connect(str(home.build_db)) as fresh:
        assert everything(fresh) == before


def test_purged_record_level_extracts_leave_their_rows_and_are_reported_by_rebuild(warehouse):
    home, con = warehouse
    load_file(con, home, write_sample(home.landing, "sickness_org"), KEY)
    sip = load_file(con, home, write_sample(home.landing, "staff_in_post"), KEY)
    assert purge_record_level(home) == [SAMPLES["staff_in_post"][0]]
    assert not (home.root / sip.stored_as).exists()
    assert raw_rows(con, "staff_in_post")
    con.close()
    assert [r.outcome for r in rebuild(home, KEY)] == ["loaded", "skipped"]


# ---------------------------------------------------------------------------------------------- privacy

def test_archive_quarantine_and_staging_are_private(warehouse):
    home, con = warehouse
    good = load_file(con, home, write_sample(home.landing, "leavers"), KEY)
    bad = load_file(con, home, write_sample(home.landing, "leavers", "nonsense\n", "bad.csv"), KEY)
    for folder in (home.archive, home.quarantine, landing.staging_dir(home), home.key_file.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in (good.stored_as, bad.stored_as, f"quarantine/{bad.load_id}.reason.txt", f"archive/{good.load_id}.json"):
        assert stat.S_IMODE((home.root / path).stat().st_mode) == 0o600, path


@pytest.fixture
def keyed_home(tmp_path, monkeypatch) -> Home:
    monkeypatch.delenv(KEY_ENV, raising=False)
    home = Home(tmp_path / "home").ensure()
    create_key(home)
    return home


def test_a_good_key_file_passes_and_its_fingerprint_is_kept(keyed_home):
    key = preflight(keyed_home, needs_key=True)
    with duckdb.connect(str(keyed_home.build_db)) as con:
        ensure_raw_tables(con)
        assert load_file(con, keyed_home, write_sample(keyed_home.landing, "leavers"), key).outcome == "loaded"
        assert con.execute("select count(*) from landing.pseudonym_key").fetchone()[0] == 1
    assert preflight(keyed_home, needs_key=True) == key


@pytest.mark.parametrize("content, mode, says", [
    ("", 0o600, "is empty"),
    ("secret", 0o600, "too weak"),
    ("ab" * 40, 0o600, "too weak"),
    ("0123456789abcdef" * 4, 0o644, "readable by others"),
])
def test_an_unfit_key_is_refused_before_any_step(keyed_home, content, mode, says):
    keyed_home.key_file.write_text(content + "\n")
    keyed_home.key_file.chmod(mode)
    with pytest.raises(KeyProblem, match=says) as err:
        preflight(keyed_home, needs_key=True)
    assert "\n" not in str(err.value)


def test_a_missing_key_is_refused_only_when_record_level_files_wait(keyed_home):
    keyed_home.key_file.unlink()
    assert preflight(keyed_home, needs_key=False) is None
    with pytest.raises(KeyProblem, match="no pseudonymisation key"):
        preflight(keyed_home, needs_key=True)


def test_another_key_is_refused_unless_rotated(keyed_home, monkeypatch):
    key = preflight(keyed_home, needs_key=True)
    with duckdb.connect(str(keyed_home.build_db)) as con:
        ensure_raw_tables(con)
        load_file(con, keyed_home, write_sample(keyed_home.landing, "leavers"), key)
    monkeypatch.setenv(KEY_ENV, "fedcba9876543210" * 4)
    with pytest.raises(KeyProblem, match="not the one this warehouse was pseudonymised with"):
        preflight(keyed_home, needs_key=True)
    assert preflight(keyed_home, needs_key=True, rotate=True) == b"fedcba9876543210" * 4
    assert preflight(keyed_home, needs_key=True) == b"fedcba9876543210" * 4
