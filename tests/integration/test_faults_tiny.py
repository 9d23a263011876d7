"""A run killed at any point leaves the published snapshot whole, and the next run publishes exactly what an
uninterrupted run publishes: on the tiny synthetic warehouse, killed at every fault point (the real-data
variant is test_faults_realdata.py, a file of its own so the two run on different workers)."""
from __future__ import annotations

from tests.conftest import copy_home
from tests.fixtures.faults import POINTS, kill_then_catch_up


def test_killed_runs_on_the_tiny_warehouse(published_tiny, tiny_extracts, tmp_path, monkeypatch):
    """Killed at every point, on a home that published every tiny extract."""
    last_month = sorted(tiny_extracts.glob("sickness_org_*.csv"))[-1]
    kill_then_catch_up(published_tiny, copy_home(published_tiny, tmp_path / "home", monkeypatch), last_month,
                       "sickness_org", POINTS)
