"""Every dbt unit test (hand-computed given/expect rows for each formula), against an empty warehouse."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.landing import ensure_raw_tables
from pipelines.project import DBT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))


def _dbt(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WELLBEING_BUILD_DB": str(db)}
    return subprocess.run([DBT, *args, "--profiles-dir", str(DBT_DIR), "--project-dir", str(DBT_DIR),
                           "--target-path", str(db.parent / "target")],
                          cwd=DBT_DIR, env=env, capture_output=True, text=True)


def test_every_dbt_unit_test_passes(tmp_path):
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_raw_tables(con)
    # unit tests need their inputs' relations to exist: build every model empty first
    empty = _dbt("build", "--empty", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test", db=db)
    assert empty.returncode == 0, empty.stdout[-3000:]
    run = _dbt("test", "--select", "test_type:unit", db=db)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert run.returncode == 0 and not failed, failed or run.stdout[-3000:]
    assert len(results) >= 40  # every formula in METRICS.md has its own hand-computed case
