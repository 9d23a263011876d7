"""Operating the pipeline unattended: the landing sensor, the monthly schedule, failure alerts, honest status."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.defs.automation import landing_sensor, monthly_schedule

from ..conftest import copy_home, land


def settled(*paths):
    """As if the files had stopped changing a while ago."""
    for path in paths:
        os.utime(path, (time.time() - 3600, time.time() - 3600))


def evaluate(instance, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = landing_sensor(context)
    return result, context.cursor


def test_sensor_asks_for_one_run_per_new_or_changed_set_of_files(home, tiny_extracts):
    first, second = sorted(tiny_extracts.glob("sickness_org_*.csv"))[:2]
    with dg.instance_for_test() as instance:
        result, cursor = evaluate(instance, None)
        assert isinstance(result, dg.SkipReason)  # no file

        (growing,) = land(home, first)
        os.utime(growing)  # still being written: modified just now
        waiting, cursor = evaluate(instance, cursor)
        assert isinstance(waiting, dg.SkipReason)
        settled(growing)
        result, cursor = evaluate(instance, cursor)
        assert isinstance(result, dg.RunRequest) and result.tags["wellbeing/new_files"] == "1"
        again, cursor = evaluate(instance, cursor)
        assert isinstance(again, dg.SkipReason)  # the same file waiting: no second run

        settled(shutil.copy(first, home.landing / "copy of the same month.csv"))  # a duplicate: the run records it
        duplicate, cursor = evaluate(instance, cursor)
        assert isinstance(duplicate, dg.RunRequest) and duplicate.run_key != result.run_key

        (home.landing / "notes.csv").write_text("not,an,extract\n1,2,3\n")  # a bad file: the run quarantines it
        settled(home.landing / "notes.csv")
        bad, cursor = evaluate(instance, cursor)
        assert isinstance(bad, dg.RunRequest) and bad.tags["wellbeing/new_files"] == "1"

        settled(*land(home, second))
        (home.landing / first.name).write_bytes(first.read_bytes().replace(b"\n", b"\r\n"))  # corrected resend
        settled(home.landing / first.name)
        changed, cursor = evaluate(instance, cursor)
        assert isinstance(changed, dg.RunRequest) and changed.tags["wellbeing/new_files"] == "2"


def test_monthly_schedule_ticks_on_the_fifth():
    tick = datetime(2026, 1, 5, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = list(monthly_schedule.evaluate_tick(context).run_requests)
    assert len(requests) == 1 and monthly_schedule.job_name == "publish"
    assert monthly_schedule.cron_schedule == "0 6 5 * *"
    assert monthly_schedule.default_status == dg.DefaultScheduleStatus.STOPPED


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        _Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"1")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch):
    _Webhook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WELLBEING_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    yield _Webhook.received
    server.shutdown()


def inflated(month_file, target):
    """The month sent again with four times the days lost (rates recomputed, so the file itself is valid)."""
    frame = pl.read_csv(month_file, infer_schema_length=0)
    lost = pl.col("FTE_DAYS_LOST").cast(pl.Float64) * 4
    frame = frame.with_columns(lost.alias("FTE_DAYS_LOST"),
                               (lost / pl.col("FTE_DAYS_AVAILABLE").cast(pl.Float64) * 100).round(6)
                               .alias("SICKNESS_ABSENCE_RATE_PERCENT"))
    frame.write_csv(target)


def test_a_sensor_started_run_blocked_by_a_gate_alerts_and_status_shows_it(published_tiny, tmp_path, monkeypatch,
                                                                             webhook, tiny_extracts, capsys):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        served = con.execute("select max(publish_id) from meta.publish_log").fetchone()[0]
    last = sorted(tiny_extracts.glob("sickness_org_*.csv"))[-1]
    inflated(last, home.landing / last.name)
    settled(home.landing / last.name)

    with dg.DagsterInstance.get() as instance:
        request, _ = evaluate(instance, None)
        assert isinstance(request, dg.RunRequest)
        # as the daemon launches it: the sensor's tags on the run
        result = defs.resolve_job_def("publish").execute_in_process(
            instance=instance, raise_on_error=False, tags={**request.tags, "dagster/sensor_name": "landing_sensor"})
    assert not result.success

    assert len(webhook) == 1
    text = webhook[0]["text"]
    assert "started by" not in text and "(sensor landing_sensor)" in text and "did not publish" in text
    # days lost no longer agree with the record-level route for the same month: a dbt test stops the build
    check = "sickness_routes_agree_int_sickness__org_monthly"
    assert f"check failed: {check}" in text and "step failed: dbt_models" in text

    assert main(["status", "--home", str(home.root)]) == 0  # --home after the command
    out = capsys.readouterr().out
    assert f"published {served}" in out  # readers still see the previous snapshot
    assert f"last run {result.run_id[:8]}" in out and "started by sensor landing_sensor: FAILED, not published" in out
    assert f"FAILED {check}" in out and "step failed: dbt_models" in out


def test_a_backfill_of_three_months_loads_only_those_months(home, tiny_extracts, capsys):
    months = sorted(tiny_extracts.glob("sickness_org_*.csv"))
    land(home, *months)
    assert main(["backfill", "--home", str(home.root), "--from", "2025-01", "--to", "2025-03"]) == 0
    out = capsys.readouterr().out
    assert "live log:" in out.splitlines()[1] or "live log:" in out.splitlines()[0]
    assert "files: 3 loaded" in out
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        published = [str(r[0])[:7] for r in con.execute(
            "select distinct period_month from marts.ics_sickness_monthly order by 1").fetchall()]
    assert published == ["2025-01", "2025-02", "2025-03"]
    # the other months wait in landing for the next run; nothing is left aside
    assert len(list(home.landing.iterdir())) == len(months) - 3 and not any(home.held.rglob("*.csv"))

    assert main(["status", "--home", str(home.root)]) == 0
    assert "started by wellbeing backfill 2025-01 to 2025-03: published" in capsys.readouterr().out


def test_a_partition_of_the_backfill_job_loads_only_its_month(home, tiny_extracts, capsys):
    """What the UI's Partitions tab launches for each month chosen: a run of backfill_month for that partition."""
    months = sorted(tiny_extracts.glob("sickness_org_*.csv"))
    land(home, *months)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        result = defs.resolve_job_def("backfill_month").execute_in_process(
            instance=instance, partition_key="2025-02", tags={"dagster/backfill": "fromtheui"})
    assert result.success
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        published = [str(r[0])[:7] for r in con.execute(
            "select distinct period_month from marts.ics_sickness_monthly order by 1").fetchall()]
    assert published == ["2025-02"]
    assert len(list(home.landing.iterdir())) == len(months) - 1 and not any(home.held.rglob("*.csv"))

    assert main(["status", "--home", str(home.root)]) == 0
    assert "started by backfill of 2025-02 (fromtheui): published" in capsys.readouterr().out


@pytest.mark.parametrize(("job", "partition", "months"), [("backfill_month", "2025-03", ("2025-03", "2025-03")),
                                                          ("backfill_year", "2024", ("2024-01", "2024-12"))])
def test_each_backfill_partition_loads_its_own_months_of_the_home_the_daemon_serves(job, partition, months):
    config = defs.resolve_job_def(job).partitioned_config.get_run_config_for_partition_key(partition)
    home = config["resources"]["home"]["config"]
    assert (home["backfill_from"], home["backfill_to"]) == months and home["root"] == {"env": "WELLBEING_HOME"}


def test_a_full_disk_ends_the_run_with_one_clear_line_and_an_honest_status(home, tiny_extracts, monkeypatch, capsys):
    land(home, sorted(tiny_extracts.glob("sickness_org_*.csv"))[0])
    monkeypatch.setenv("WELLBEING_FAULT_POINT", "ingest:enospc")
    assert main(["run", "--home", str(home.root)]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if "step failed" in line]
    assert len(failed) == 1 and "No space left on device" in failed[0] and "ingest_sickness" in failed[0]
    assert "Traceback" not in out and "NOT published" in out

    monkeypatch.delenv("WELLBEING_FAULT_POINT")
    assert main(["status", "--home", str(home.root)]) == 1  # nothing published yet
    status = capsys.readouterr().out
    assert "FAILED, not published" in status and "No space left on device" in status
