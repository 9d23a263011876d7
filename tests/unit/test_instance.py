"""The home's Dagster instance: settings that follow the home, an event log Dagster's own storage reads."""
from __future__ import annotations

import shutil

import dagster as dg
import yaml

from pipelines.instance import OPEN_SHARDS, SqliteEventLog, write_instance_settings
from pipelines.runs import last_outcomes, prepare
from pipelines.settings import Home


@dg.asset
def counted() -> int:
    return 1


@dg.asset_check(asset=counted)
def positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.define_asset_job("counted_job")
DEFS = dg.Definitions(assets=[counted], asset_checks=[positive], jobs=[JOB])


def _events(instance: dg.DagsterInstance, run_id: str) -> list[tuple]:
    return [(r.dagster_event.event_type_value, r.step_key) for r in instance.all_logs(run_id) if r.dagster_event]


def test_runs_stored_with_kept_engines_read_the_same_through_dagsters_own_storage(tmp_path):
    home = prepare(Home(tmp_path / "home"))
    runs = OPEN_SHARDS + 3
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, SqliteEventLog)
        run_ids = [DEFS.resolve_job_def("counted_job").execute_in_process(instance=instance).run_id
                   for _ in range(runs)]
        ours = {run_id: _events(instance, run_id) for run_id in run_ids}
        assert len(instance.event_log_storage._engines) <= OPEN_SHARDS  # old runs' files are let go

    # the same folder read by Dagster's default SQLite event log: the files are Dagster's own format
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "dagster.yaml").write_text(yaml.safe_dump({"event_log_storage": {
        "module": "dagster._core.storage.event_log", "class": "SqliteEventLogStorage",
        "config": {"base_dir": str(home.dagster_home / "history" / "runs")}}}))
    with dg.DagsterInstance.from_config(str(plain)) as instance:
        assert {run_id: _events(instance, run_id) for run_id in run_ids} == ours
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("counted"), "positive"), limit=runs + 1)
        assert len(checks) == runs
    assert all(("ASSET_CHECK_EVALUATION", "counted_positive") in events for events in ours.values())


def test_a_copied_home_reads_its_own_runs(tmp_path):
    original = prepare(Home(tmp_path / "original"))
    with dg.DagsterInstance.from_config(str(original.dagster_home)) as instance:
        DEFS.resolve_job_def("counted_job").execute_in_process(instance=instance)
    copy = Home(tmp_path / "copy")
    shutil.copytree(original.root, copy.root)
    shutil.rmtree(original.root)

    [outcome] = last_outcomes(copy)  # rewrites the copied settings, which named the original's folder
    assert [(c.check, c.passed) for c in outcome.checks] == [("positive", True)]
    settings = yaml.safe_load(write_instance_settings(copy).read_text())
    assert settings["event_log_storage"]["config"]["base_dir"] == str(copy.dagster_home / "history" / "runs")
    assert not original.root.exists()
