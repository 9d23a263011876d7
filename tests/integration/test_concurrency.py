"""Readers never wait for, fail on, or see half of a publication.

Reader processes query serving.duckdb the way the dashboard does (short-lived read-only connections) while
a full pipeline run publishes a new snapshot of a home that has published (the tiny synthetic extracts, or real
published files). Within each connection a reader checks that everything it sees belongs to one publication:
the check results and every table's row count match the latest publish_log row.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from pipelines.runs import run_pipeline
from tests.conftest import copy_home

READERS = 3
READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

serving, stop = Path(sys.argv[1]), Path(sys.argv[2])
reads, errors, seen = 0, [], []
while not stop.exists():
    try:
        with duckdb.connect(str(serving), read_only=True) as con:
            publish_id, tables = con.execute(
                "select publish_id, tables from meta.publish_log order by published_at desc limit 1").fetchone()
            checked = {r[0] for r in con.execute("select distinct publish_id from meta.check_results").fetchall()}
            counts = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in json.loads(tables)}
        if checked != {publish_id} or counts != json.loads(tables):
            errors.append(f"mixed snapshot: {publish_id} logs {tables}, has {counts}, checks of {checked}")
        if not seen or seen[-1] != publish_id:
            seen.append(publish_id)
        reads += 1
    except Exception as error:  # every failure counts: a reader must never see one
        errors.append(f"{type(error).__name__}: {error}")
    time.sleep(0.25)  # a busy dashboard, leaving the cores to the run
print(json.dumps({"reads": reads, "errors": errors, "seen": seen}))
"""


def test_readers_see_whole_snapshots_on_the_tiny_warehouse(published_tiny, tmp_path, monkeypatch):
    """A home that published every tiny extract publishes again under the readers."""
    readers_see_whole_snapshots(copy_home(published_tiny, tmp_path / "home", monkeypatch))


@pytest.mark.realdata
def test_readers_see_whole_snapshots_while_runs_publish(published_real, tmp_path, monkeypatch):
    """The same on the home that published real files."""
    readers_see_whole_snapshots(copy_home(published_real, tmp_path / "home", monkeypatch))


def readers_see_whole_snapshots(home) -> None:
    stop = home.root / "stop-readers"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(home.serving_db), str(stop)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(READERS)]
    try:
        summary = run_pipeline(home)
        assert summary.success, summary.failed_checks or summary.failed_steps
        published = [summary.published["publish_id"]]
        time.sleep(1)  # let every reader open the last snapshot
    finally:
        stop.touch()
        results = [json.loads(r.communicate(timeout=60)[0]) for r in readers]

    assert all(r["errors"] == [] for r in results), [r["errors"][:3] for r in results]
    assert all(r["reads"] >= 20 for r in results), [r["reads"] for r in results]
    assert all(r["seen"][-1] == published[-1] for r in results)
    assert any(set(published) <= set(r["seen"]) for r in results), [r["seen"] for r in results]
