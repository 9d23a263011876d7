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


def test_a_rerun_without_new_files_republishes_the_same_tables_and_rollback_serves_the_first(
        published_tiny, tmp_path, monkeypatch):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)

    def rows(db, query: str) -> list[tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(query).fetchall()

    def publish_id() -> str:
        return rows(home.serving_db, "select publish_id from meta.publish_log order by published_at desc limit 1")[0][0]

    def mart() -> list[tuple]:
        return rows(home.serving_db, "select * from marts.ics_sickness_monthly order by all")

    first, first_rows = publish_id(), mart()
    loaded = rows(home.build_db, "select count(*) from raw.load_log")
    assert main(["--home", str(home.root), "run"]) == 0
    assert publish_id() != first and mart() == first_rows
    assert rows(home.serving_db, "select count(*) from meta.publish_log") == [(2,)]
    assert rows(home.build_db, "select count(*) from raw.load_log") == loaded  # no file, nothing loaded
    assert main(["--home", str(home.root), "rollback"]) == 0
    assert publish_id() == first
    with pytest.raises(SystemExit):
        main(["--home", str(home.root), "no-such-command"])


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                     data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=10).read())["data"]


def _wait_for(condition, seconds: float, what: str):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, KeyError, TypeError, ValueError):
            value = None
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


def _processes_using(home) -> list[int]:
    """Live processes whose environment points at this home (the UI, its daemon, code servers, runs)."""
    from pathlib import Path

    marker = f"DAGSTER_HOME={home.dagster_home}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(environ.parent.name))
        except OSError:
            continue  # ended while we looked, or not ours to read
    return found


def test_ui_sensor_run_and_partition_backfill_publish_and_the_ui_stops_cleanly(published_tiny, tiny_extracts,
                                                                               tmp_path, monkeypatch):
    """`wellbeing ui` serves the asset graph on loopback; the landing sensor, switched on through GraphQL,
    starts a run for a dropped file that publishes; a one-month backfill launched through GraphQL runs in the
    daemon and publishes; SIGTERM to `wellbeing ui` leaves no process behind."""
    import os
    import signal
    import socket

    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    before = publish_id_of(home)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ui = subprocess.Popen([*WELLBEING, "ui", "--home", str(home.root), "--port", str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        keys = _wait_for(lambda: _graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"], 240,
                         "the UI to serve the asset graph")
        paths = {tuple(k["assetKey"]["path"]) for k in keys}
        assert {("serving", "snapshot"), ("marts", "ics_burnout_risk"), ("raw", "sickness_org")} <= paths

        location = _graphql(port, "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"
                            )["workspaceOrError"]["locationEntries"][0]["name"]
        started = _graphql(port, """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
                                      __typename ... on Sensor { sensorState { status } } } }""",
                           {"s": {"repositoryLocationName": location, "repositoryName": "__repository__",
                                  "sensorName": "landing_sensor"}})["startSensor"]
        assert started["sensorState"]["status"] == "RUNNING", started

        last = sorted(tiny_extracts.glob("sickness_org_*.csv"))[-1]
        (home.landing / last.name).write_bytes(last.read_bytes().replace(b"\n", b"\r\n"))  # a corrected resend
        runs_query = """{ runsOrError(filter: {pipelineName: "publish"}) { ... on Runs { results {
                            status tags { key value } } } } }"""

        def sensor_run_ended():
            runs = _graphql(port, runs_query)["runsOrError"]["results"]
            ended = [r["status"] for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")
                     and {"key": "dagster/sensor_name", "value": "landing_sensor"} in r["tags"]]
            return ended[0] if ended else None

        assert _wait_for(sensor_run_ended, 900, "the sensor's run to end") == "SUCCESS"
        assert publish_id_of(home) != before

        # a backfill of one month, launched as from the job's Partitions tab: the daemon starts its run
        after_sensor = publish_id_of(home)
        launched = _graphql(port, """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
                                       __typename ... on LaunchBackfillSuccess { backfillId } } }""",
                            {"p": {"selector": {"partitionSetName": "backfill_month_partition_set",
                                                "repositorySelector": {"repositoryLocationName": location,
                                                                       "repositoryName": "__repository__"}},
                                   "partitionNames": ["2025-02"]}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_query = """{ runsOrError(filter: {pipelineName: "backfill_month"}) { ... on Runs { results {
                               status tags { key value } } } } }"""

        def backfill_run_ended():
            runs = _graphql(port, backfill_query)["runsOrError"]["results"]
            return next((r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")), None)

        run = _wait_for(backfill_run_ended, 900, "the backfill's run to end")
        assert run["status"] == "SUCCESS"
        assert {"key": "dagster/partition", "value": "2025-02"} in run["tags"]
        assert publish_id_of(home) != after_sensor
    finally:
        os.kill(ui.pid, signal.SIGTERM)  # the command only: it must take its children down itself
        try:
            ui.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            raise
    assert _wait_for(lambda: not _processes_using(home) or None, 30, "every UI process to end") is True

    out = subprocess.run([*WELLBEING, "status", "--home", str(home.root)], capture_output=True, text=True).stdout
    assert f"started by backfill of 2025-02 ({launched['backfillId']}): published" in out


def publish_id_of(home) -> str:
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        return con.execute("select max(publish_id) from meta.publish_log").fetchone()[0]


def test_dashboard_serves_on_loopback_and_stops_every_child_on_sigterm(published_tiny):
    """`wellbeing dashboard` answers on 127.0.0.1; SIGTERM to the command alone leaves no Streamlit behind."""
    import os
    import signal
    import socket
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wellbeing = str(Path(sys.executable).with_name("wellbeing"))
    command = subprocess.Popen([wellbeing, "dashboard", "--home", str(published_tiny.root), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def serving_processes() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(argv) and str(port).encode() in argv:
                found.append(int(entry.name))
        return found

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                assert command.poll() is None and time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.5)
        assert serving_processes(), "no Streamlit process serves the port"
        os.kill(command.pid, signal.SIGTERM)
        command.wait(timeout=60)
        deadline = time.monotonic() + 30
        while serving_processes() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert serving_processes() == []
    finally:
        if command.poll() is None:
            command.kill()


def test_run_on_a_damaged_build_database_fails_at_once_in_one_line(published_tiny, tmp_path, monkeypatch, capsys):
    """A truncated build.duckdb: one line pointing at `wellbeing rebuild`, no retries, serving untouched."""
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    served = home.serving_db.read_bytes()
    with open(home.build_db, "r+b") as fh:
        fh.truncate(100_000)
    code = main(["run", "--home", str(home.root)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    assert printed[-1].startswith("wellbeing: ") and "cannot be opened" in printed[-1]
    assert "wellbeing rebuild" in printed[-1]
    assert home.serving_db.read_bytes() == served
