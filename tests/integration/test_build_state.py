"""A build rebuilds only what changed since the last successful one, and what it keeps is what a full build makes."""
from __future__ import annotations

import json
import shutil

import dagster as dg
import duckdb

from expectations.contract import load_manifest
from pipelines import build_state
from pipelines.cli import main
from pipelines.defs.dbt import mart_keys
from pipelines.defs.quality import MART_CHECKS
from pipelines.landing import GROUP_BYTES_ENV
from pipelines.outcomes import checks_of_run
from pipelines.project import dbt_project
from tests.benchmarks.harness import corrected_month, split_last_month
from tests.conftest import copy_home, land, published_marts, published_once

RECORD_LEVEL_TURNOVER = "int_turnover__record_level_org_monthly"
INCREMENTAL = ("int_sickness__episode_months", "int_sickness__record_level_staff_group_monthly",
               "int_sickness__record_level_org_monthly", RECORD_LEVEL_TURNOVER)


def built(home, kind: str = "model") -> set[str]:
    results = json.loads((home.root / "dbt" / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith(kind + ".")}


def every_model_table(home) -> dict[str, list[tuple]]:
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables where table_schema in "
                             "('staging', 'intermediate', 'marts', 'reference') and table_type = 'BASE TABLE'").fetchall()
        return {f"{s}.{t}": con.execute(f"select * from {s}.{t} order by all").fetchall() for s, t in tables}


def test_a_corrected_month_rebuilds_its_lineage_only_and_keeps_what_a_full_build_makes(
        published_tiny, tiny, tmp_path, monkeypatch):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    manifest = load_manifest(dbt_project.manifest_path)
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        before = build_state.recorded(con)
    last = sorted(tiny.out_dir.glob("sickness_org_*.csv"))[-1].stem.removeprefix("sickness_org_")
    land(home, corrected_month(tiny.out_dir, tmp_path / "corrected", last))
    assert main(["--home", str(home.root), "run"]) == 0
    selective = built(home)
    assert "int_sickness__org_monthly" in selective and "ics_sickness_monthly" in selective
    assert RECORD_LEVEL_TURNOVER not in selective and "int_survey__respondents" not in selective
    # every test with a rebuilt parent ran, whatever its other parents (dbt's eager selection would drop a test
    # on a rebuilt staging model that also reads a kept one)
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        now = build_state.fingerprints(con, build_state.source_months(manifest))
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    assert built(home, "test") == tests - set(build_state.unchanged_nodes(manifest, before, now))
    assert any(t.startswith("relationships_stg_sickness__") for t in built(home, "test"))
    kept = every_model_table(home)

    monkeypatch.setenv(build_state.FULL_BUILD_ENV, "1")
    assert main(["--home", str(home.root), "run"]) == 0
    assert RECORD_LEVEL_TURNOVER in built(home)
    assert every_model_table(home) == kept


def test_rows_changed_by_hand_are_rebuilt_from_and_a_run_without_changes_builds_only_the_marts(
        published_tiny, tmp_path, monkeypatch):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    assert main(["--home", str(home.root), "run"]) == 0
    nothing_new = built(home)  # the marts, and what reads them
    assert {key.path[-1] for key in mart_keys()} <= nothing_new
    assert not {RECORD_LEVEL_TURNOVER, "int_sickness__org_monthly", "stg_sickness__org_monthly"} & nothing_new

    with duckdb.connect(str(home.build_db)) as con:  # not a load: nothing but the rows says it changed
        con.execute("update raw.staff_in_post set age_band = '60 and over' where _source_row = 2")
    assert main(["--home", str(home.root), "run"]) == 0
    assert RECORD_LEVEL_TURNOVER in built(home) and "int_survey__respondents" not in built(home)


def mart_checks_run_again(home) -> set[str]:
    """The mart gate's checks the latest run ran (the others' verdicts stood)."""
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        checks = checks_of_run(instance, instance.get_runs(limit=1)[0].run_id)
    mart_checks = [c for c in checks if c.asset.startswith("marts/") and c.check.split("_", 1)[0] in MART_CHECKS]
    assert len(mart_checks) == 3 * len(mart_keys())
    return {c.check for c in mart_checks if "not run again" not in c.detail}


def test_after_the_first_publication_only_the_checks_comparing_with_the_snapshot_run_again(
        published_tiny, tmp_path, monkeypatch):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    assert main(["--home", str(home.root), "run"]) == 0
    # nothing new: the contract and disclosure checks read what they passed; the distribution checks now have a
    # published snapshot to compare with
    assert mart_checks_run_again(home) == {f"distribution_{key.path[-1]}" for key in mart_keys()}
    assert main(["--home", str(home.root), "run"]) == 0
    assert mart_checks_run_again(home) == set()


def test_a_build_starts_by_forgetting_the_state_and_a_build_of_some_nodes_keeps_nothing(published_tiny, tmp_path):
    manifest = load_manifest(dbt_project.manifest_path)
    db = tmp_path / "build.duckdb"
    shutil.copy(published_tiny.build_db, db)
    with duckdb.connect(str(db)) as con:
        # the published home's last build succeeded and nothing changed since: all but the marts are kept
        assert len(build_state.begin(con, manifest, whole=True).unchanged) > 100
        # forgotten as the build began: if it fails or is cut short, the next one rebuilds everything
        assert build_state.recorded(con) == {}
        assert build_state.begin(con, manifest, whole=True).unchanged == []
    shutil.copy(published_tiny.build_db, db)
    with duckdb.connect(str(db)) as con:
        assert build_state.begin(con, manifest, whole=False).unchanged == []


def test_the_build_takes_the_fingerprints_its_run_s_raw_gate_took_and_they_are_what_it_would_read(
        published_tiny, tmp_path):
    from expectations.raw import FINGERPRINTS

    manifest = load_manifest(dbt_project.manifest_path)
    sources = build_state.source_months(manifest)
    with dg.DagsterInstance.from_config(str(published_tiny.dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0].run_id
    db = tmp_path / "build.duckdb"
    shutil.copy(published_tiny.build_db, db)
    with duckdb.connect(str(db)) as con:
        read = build_state.fingerprints(con, sources)  # every source read again
        assert build_state.fingerprints(con, sources, run) == read
        kept = {r for r, in con.execute(f"select distinct relation from {FINGERPRINTS} where run = ?", [run]).fetchall()}
        assert {"raw.staff_in_post", "raw.absence_episodes", "raw.leavers", "raw.sickness_org"} <= kept
        assert any(key.startswith("raw.staff_in_post@") for key in read)  # by month, as dbt rebuilds
        # they are taken, not read again: a kept fingerprint changed by hand changes the state; another run's
        # are not taken
        con.execute(f"update {FINGERPRINTS} set fingerprint = fingerprint + 1 where relation = 'raw.staff_in_post'")
        taken = build_state.fingerprints(con, sources, run)
        assert taken["raw.staff_in_post"] != read["raw.staff_in_post"]
        assert {k: v for k, v in taken.items() if not k.startswith("raw.staff_in_post")} == \
            {k: v for k, v in read.items() if not k.startswith("raw.staff_in_post")}
        assert build_state.fingerprints(con, sources, "another run") == read


def test_a_new_month_rebuilds_the_incremental_models_from_that_month_only_and_they_hold_what_a_full_build_makes(
        tiny, tmp_path_factory, tmp_path, monkeypatch):
    split = tmp_path_factory.mktemp("split")
    last = split_last_month(tiny.out_dir, split / "base", split / "new")
    base = published_once(tmp_path_factory, "tiny_but_the_last_month",
                          lambda h: land(h, *sorted((split / "base").iterdir())))
    home = copy_home(base, tmp_path / "home", monkeypatch)
    land(home, *sorted((split / "new").iterdir()))
    assert main(["--home", str(home.root), "run"]) == 0
    assert set(INCREMENTAL) <= built(home)
    compiled = home.root / "dbt" / "target" / "compiled" / "wellbeing" / "models" / "intermediate"
    # each one read its inputs from the new month on (the turnover model a stability window earlier)
    for model, since in (("sickness/int_sickness__episode_months", f"absence_start >= date '{last}-01'"),
                         ("sickness/int_sickness__record_level_staff_group_monthly", f"period_month >= date '{last}-01'"),
                         ("sickness/int_sickness__record_level_org_monthly", f"period_month >= date '{last}-01'"),
                         ("turnover/int_turnover__record_level_org_monthly", f"period_month >= date '{last}-01'")):
        assert since in (compiled / f"{model}.sql").read_text(), model
    kept, published = every_model_table(home), published_marts(home.serving_db)
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        assert con.execute(f"select count(*) from intermediate.int_sickness__episode_months "
                           f"where period_month = date '{last}-01'").fetchone()[0] > 0

    monkeypatch.setenv(build_state.FULL_BUILD_ENV, "1")
    assert main(["--home", str(home.root), "run"]) == 0
    assert "absence_start >= date" not in (compiled / "sickness/int_sickness__episode_months.sql").read_text()
    assert every_model_table(home) == kept

    # the slow paths publish the same marts: every file landed at once, each read and loaded alone, every model
    # built whole (the fast ones: a month's files read and loaded together, a new month built incrementally)
    monkeypatch.setenv(GROUP_BYTES_ENV, "0")
    slow = published_once(tmp_path_factory, "tiny_by_the_slow_paths", lambda h: land(h, *sorted(tiny.out_dir.iterdir())))
    assert published_marts(slow.serving_db) == published
