"""A run killed inside dbt and inside the publish, on the home that published real files, leaves the published
snapshot whole, and the next run publishes exactly what an uninterrupted run publishes (the tiny test,
test_faults_tiny.py, covers every fault point; these two leave the most behind)."""
from __future__ import annotations

import pytest

from tests.conftest import copy_home, real_sickness_months
from tests.fixtures.faults import kill_then_catch_up


@pytest.mark.realdata
def test_killed_runs_on_the_real_warehouse(published_real, realdata, tmp_path, monkeypatch):
    last_month = real_sickness_months(realdata)[-1]
    kill_then_catch_up(published_real, copy_home(published_real, tmp_path / "home", monkeypatch), last_month,
                       "sickness_org", ("dbt_build", "before_replace"))
