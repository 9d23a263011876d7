"""The publish job, a monthly schedule and a sensor that starts a run when files land.

Both are off until an operator turns them on (Dagster UI: Automation, or `wellbeing ui --automation`); the
daemon that runs them lives and dies with `wellbeing ui`.
"""

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

from ..landing import ready_files
from ..settings import Home

publish_job = dg.define_asset_job(
    "publish", selection=dg.AssetSelection.all(),
    description="Load new landing files, build and test the marts, run the gates, publish serving.duckdb.")

# NHS monthly statistics come out early in the month: a run on the 5th picks up whatever has landed since
monthly_schedule = dg.ScheduleDefinition(
    name="monthly", job=publish_job, cron_schedule="0 6 5 * *", execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Load, build, check and publish on the 5th of every month at 06:00 (London).")


def file_stamps(landing: Path, files: list[Path]) -> dict[str, str]:
    """What the sensor remembers of each waiting file: its size and modification time."""
    stamps = {}
    for path in files:
        stat = path.stat()
        stamps[str(path.relative_to(landing))] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return stamps


def new_files(stamps: dict[str, str], cursor: str | None) -> list[str]:
    """Files not in the cursor, or changed since it was written (a corrected file under the same name)."""
    seen = json.loads(cursor) if cursor else {}
    return sorted(name for name, stamp in stamps.items() if seen.get(name) != stamp)


@dg.sensor(job=publish_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts a publish run when new or changed files wait in the landing folder.")
def landing_sensor(context: dg.SensorEvaluationContext):
    """One run per new set of waiting files. The cursor holds the files the last run was asked for, so a file
    that stays in landing (the run could not take it) does not start a run at every tick."""
    home = Home.from_env()
    # only settled files: one still being written waits for a later tick
    stamps = file_stamps(home.landing, ready_files(home, time.time()).ready)
    new = new_files(stamps, context.cursor)
    context.update_cursor(json.dumps(stamps, sort_keys=True))
    if not new:
        return dg.SkipReason("no new or changed file in the landing folder")
    run_key = hashlib.sha256(json.dumps(stamps, sort_keys=True).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, tags={"wellbeing/new_files": str(len(new))})
