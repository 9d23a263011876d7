"""Pure operational rules: gate thresholds, freshness, spreadsheet-safe exports, the home lock."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from expectations.thresholds import ONE_SHOT_NAME, OVERRIDE_NAME, InvalidThresholds, load_thresholds
from pipelines.freshness import freshness, period_month
from pipelines.lock import HomeLocked, home_lock
from pipelines.publish import neutralised
from pipelines.settings import REPO_ROOT, Home


@pytest.mark.parametrize("text, problem", [
    ("envelope: {relative_margin: .nan}", "outside"),
    ("envelope: {absolute_margin: .inf}", "outside"),
    ("envelope: {range_multiplier: -1}", "outside"),
    ("row_count: {min_ratio: 2}", "outside"),
    ("row_count: {max_ratio: '3'}", "must be a number"),
    ("row_count: {max_ratio: true}", "must be a number"),
    ("envelope: {margin: 1}", "unknown setting"),
    ("surprise: {x: 1}", "unknown setting"),
    ("- a list", "expected sections"),
    ("envelope: {relative_margin: [", "not valid YAML"),
])
def test_a_gates_file_out_of_bounds_or_shape_is_refused_naming_file_and_setting(tmp_path, text, problem):
    (tmp_path / OVERRIDE_NAME).write_text(text)
    with pytest.raises(InvalidThresholds, match=problem) as err:
        load_thresholds(tmp_path)
    assert OVERRIDE_NAME in str(err.value)


def test_permanent_and_one_shot_overrides_stack_and_are_stated(tmp_path):
    assert load_thresholds(tmp_path).overrides == ()
    (tmp_path / OVERRIDE_NAME).write_text("row_count: {max_ratio: 5}\n")
    (tmp_path / ONE_SHOT_NAME).write_text("row_count: {max_ratio: 20}\nenvelope: {relative_margin: 2}\n")
    thresholds = load_thresholds(tmp_path)
    assert thresholds.max_row_ratio == 20 and thresholds.envelope.relative_margin == 2
    assert thresholds.min_row_ratio == 0.9  # the default where nothing overrides it
    stated = thresholds.as_dict()["overrides"]
    assert stated[0].startswith("permanent: gates.yml") and stated[1].startswith("one-shot: gates.once.yml")


@pytest.mark.parametrize("period, month", [
    ("2026-09-30", (2026, 9)), ("2026-09-30 00:00:00", (2026, 9)), ("202409 to 202509", (2025, 9)),
    ("2024/25", (2025, 3)), ("2025", (2025, 12)), (None, None), ("spring", None),
])
def test_the_month_a_period_ends(period, month):
    assert period_month(period) == month


def test_freshness_against_each_sources_policy():
    today = date(2026, 12, 3)
    assert freshness("sickness", "2026-10-31", today) == (2, 2, "fresh")
    assert freshness("sickness", "2026-09-30", today) == (3, 2, "stale")  # older than two months warns
    assert freshness("survey", "2025", today) == (12, 18, "fresh")
    assert freshness("survey", "2024", today) == (24, 18, "stale")
    assert freshness("sickness", None, today) == (None, 2, "no data")


def test_exports_defuse_spreadsheet_formulas_in_text():
    with duckdb.connect() as con:
        con.execute("create table t as select * from (values ('=cmd|calc'), ('+1'), ('-2'), ('@SUM(A1)'), "
                    "('NHS Trust'), (null)) v(name)")
        out = [r[0] for r in con.execute(f"select {neutralised('name')} from t").fetchall()]
    assert out == ["'=cmd|calc", "'+1", "'-2", "'@SUM(A1)", "NHS Trust", None]


HOLDER = r"""
import sys, time
from pathlib import Path
from pipelines.lock import home_lock
from pipelines.settings import Home
with home_lock(Home(Path(sys.argv[1])), "rebuild"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_the_lock_names_its_holder_is_reentrant_and_dies_with_it(tmp_path):
    home = Home(tmp_path / "home")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(home.root)], cwd=REPO_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(HomeLocked, match=rf"another rebuild \(pid {holder.pid}\) holds the home .* since "):
            with home_lock(home, "run"):
                pass
    finally:
        holder.kill()  # a holder that dies releases the home
        holder.wait()
    with home_lock(home, "run"), home_lock(home, "run"):  # the same process may take it again
        assert Path(home.root / "home.lock").exists()
