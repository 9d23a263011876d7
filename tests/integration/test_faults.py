"""A run killed at any point leaves the published snapshot whole, and the next run publishes exactly what an
uninterrupted run publishes.

The home starts as a copy of one that published without interruption (the session's tiny synthetic home, and
the session's real-data home). The new input is the last sickness month sent again with Windows line endings:
new bytes under the same name, so it supersedes that month's rows with the same values, and a correct rerun must
publish tables identical to the uninterrupted run's. `wellbeing run` runs in its own process group and kills
itself (and its dbt child) with SIGKILL at each fault point in turn (pipelines/faults.py).
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.faults import FAULT_ENV
from pipelines.publish import TMP_PREFIX
from pipelines.settings import REPO_ROOT, Home
from tests.conftest import copy_home, published_marts, real_sickness_months

# in run order: two before dbt, one inside it, two inside the publish
POINTS = ("ingest", "quality_gate", "dbt_build", "serving_tmp", "before_replace")


def publish_id(serving: Path) -> str:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select max(publish_id) from meta.publish_log").fetchone()[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wellbeing_run(home: Home, fault: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV} | ({FAULT_ENV: fault} if fault else {})
    wellbeing = Path(sys.executable).with_name("wellbeing")  # the installed command, as an operator runs it
    process = subprocess.Popen([str(wellbeing), "--home", str(home.root), "run"], env=env,
                               cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    stdout, stderr = process.communicate(timeout=900)
    if process.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"run with fault {fault} ended with {process.returncode}:\n{stdout}\n{stderr[-3000:]}")
    if process.returncode == -signal.SIGKILL:
        assert not live_processes_in_group(process.pid), "a child of the killed run (dbt?) is still running"
    return process.returncode


def live_processes_in_group(group: int) -> list[int]:
    """Processes of a process group that are still running (dead ones wait, as zombies, for init to reap them)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue  # ended while we looked
        if int(pgrp) == group and state != "Z":
            live.append(int(stat.parent.name))
    return live


def test_killed_runs_on_the_tiny_warehouse(published_tiny, tiny_extracts, tmp_path, monkeypatch):
    """Killed at every point, on a home that published every tiny extract."""
    last_month = sorted(tiny_extracts.glob("sickness_org_*.csv"))[-1]
    kill_then_catch_up(published_tiny, copy_home(published_tiny, tmp_path / "home", monkeypatch), last_month,
                       "sickness_org", POINTS)


@pytest.mark.realdata
def test_killed_runs_on_the_real_warehouse(published_real, realdata, tmp_path, monkeypatch):
    """The same on real published files, killed inside dbt and inside the publish (the tiny test covers every
    point; these two leave the most behind)."""
    last_month = real_sickness_months(realdata)[-1]
    kill_then_catch_up(published_real, copy_home(published_real, tmp_path / "home", monkeypatch), last_month,
                       "sickness_org", ("dbt_build", "before_replace"))


def kill_then_catch_up(uninterrupted: Home, home: Home, last_month: Path, raw_table: str, points: tuple[str, ...]
                       ) -> None:
    expected = published_marts(uninterrupted.serving_db)
    before, before_id = sha(home.serving_db), publish_id(home.serving_db)
    kept = sorted(p.name for p in home.snapshots.iterdir())
    (home.landing / last_month.name).write_bytes(last_month.read_bytes().replace(b"\n", b"\r\n"))

    for point in points:
        assert wellbeing_run(home, point) == -signal.SIGKILL, f"the run was not killed at {point}"
        assert sha(home.serving_db) == before, f"serving.duckdb changed by a run killed at {point}"
        assert publish_id(home.serving_db) == before_id
        assert sorted(p.name for p in home.snapshots.iterdir()) == kept
        if point in ("serving_tmp", "before_replace"):
            assert list(home.warehouse.glob(f"{TMP_PREFIX}*")), f"no half-published file left at {point}"

    assert wellbeing_run(home, None) == 0
    assert publish_id(home.serving_db) != before_id
    assert published_marts(home.serving_db) == expected
    assert not list(home.warehouse.glob(f"{TMP_PREFIX}*"))
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        resends = con.execute("select outcome, rows_superseded from raw.load_log where file_name = ? "
                              "order by logged_at", [last_month.name]).fetchall()
        held = con.execute(f"select count(*) from raw.{raw_table} where _source_file = ?",
                           [last_month.name]).fetchone()[0]
    assert resends == [("loaded", 0), ("loaded", held)]  # loaded once more, whatever the kills
