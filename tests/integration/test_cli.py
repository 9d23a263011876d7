"""The `wellbeing` command as a data team uses it."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import duckdb
import pytest

from pipelines.cli import main

from ..conftest import copy_home

WELLBEING = [sys.executable, "-m", "pipelines.cli"]


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_generate_is_deterministic_for_a_seed(tmp_path):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        assert main(["generate", "--scale", "tiny", "--out", str(tmp_path / name), "--seed", str(seed)]) == 0
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_demo_then_status_in_a_fresh_home(tmp_path):
    home = tmp_path / "home"
    demo = subprocess.run([*WELLBEING, "--home", str(home), "demo", "--scale", "tiny"],
                          capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "marts.ics_sickness_monthly" in demo.stdout and "ICSs covered:" in demo.stdout
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        icss = con.execute("select count(distinct icb_code) from marts.ics_sickness_monthly").fetchone()[0]
    assert f"ICSs covered: {icss}" in demo.stdout and icss > 0
    assert (home / "exports" / "ics_sickness_monthly.parquet").exists()

    status = subprocess.run([*WELLBEING, "--home", str(home), "status"], capture_output=True, text=True, timeout=120)
    assert status.returncode == 0
    assert "marts.ics_sickness_monthly" in status.stdout and "last run" in status.stdout

    docs = subprocess.run([*WELLBEING, "--home", str(home), "docs"], capture_output=True, text=True, timeout=300)
    page = home / "reports" / "dbt-docs" / "static_index.html"
    assert docs.returncode == 0 and str(page) in docs.stdout
    assert "ics_burnout_risk" in page.read_text()


def test_status_in_an_empty_home_says_nothing_is_published(tmp_path, capsys):
    assert main(["--home", str(tmp_path / "empty"), "status"]) == 1
    assert "nothing published yet" in capsys.readouterr().out


def test_run_exits_non_zero_and_names_the_failed_check(home, tiny_extracts, tmp_path, capsys):
    """A month in which one ICS's organisations are missing: loads fine, fails the completeness gate."""
    import polars as pl

    extracts = tmp_path / "extracts"
    extracts.mkdir()
    for f in tiny_extracts.glob("sickness_org_*.csv"):
        (extracts / f.name).write_bytes(f.read_bytes())
    last = sorted(extracts.glob("sickness_org_*.csv"))[-1]
    month = pl.read_csv(last, infer_schema_length=0)
    dropped = sorted(set(month["ICS_CODE"]) - {"QZZ"})[0]
    month.filter(pl.col("ICS_CODE") != dropped).write_csv(last)

    code = main(["--home", str(home.root), "run", "--landing", str(extracts)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED gx_ics_sickness_monthly on marts/ics_sickness_monthly" in out and dropped in out
    assert "NOT published" in out
    assert not home.serving_db.exists()

    assert main(["--home", str(home.root), "status"]) == 1
    assert "FAILED gx_ics_sickness_monthly" in capsys.readouterr().out


def test_rollback_serves_the_previous_snapshot(published_tiny, tmp_path, monkeypatch):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)

    def publish_id() -> str:
        with duckdb.connect(str(home.serving_db), read_only=True) as con:
            return con.execute("select publish_id from meta.publish_log order by published_at desc limit 1").fetchone()[0]

    first = publish_id()
    assert main(["--home", str(home.root), "run"]) == 0
    second = publish_id()
    assert second != first
    assert main(["--home", str(home.root), "rollback"]) == 0
    assert publish_id() == first
    with pytest.raises(SystemExit):
        main(["--home", str(home.root), "no-such-command"])


def test_ui_serves_every_asset_on_loopback(published_tiny):
    """`wellbeing ui` starts Dagster's webserver on 127.0.0.1 with the whole asset graph loaded."""
    import json
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ui = subprocess.Popen([*WELLBEING, "--home", str(published_tiny.root), "ui", "--port", str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
    keys: list = []
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not keys:
            time.sleep(2)
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=query,
                                                 headers={"Content-Type": "application/json"})
                keys = json.loads(urllib.request.urlopen(request, timeout=5).read())["data"]["assetNodes"]
            except (OSError, KeyError, TypeError, ValueError):
                continue
    finally:
        os.killpg(ui.pid, signal.SIGINT)
        try:
            ui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
    paths = {tuple(k["assetKey"]["path"]) for k in keys}
    assert ("serving", "snapshot") in paths and ("marts", "ics_burnout_risk") in paths and ("raw", "sickness_org") in paths
