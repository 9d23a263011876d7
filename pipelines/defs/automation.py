"""The publish job, its partitioned twins for backfills, a monthly schedule and a sensor that starts a run when
files land.

The schedule and the sensor are off until an operator turns them on (Dagster UI: Automation, or
`wellbeing ui --automation`); the daemon that runs them lives and dies with `wellbeing ui`.
"""

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from ..landing import ready_files
from ..settings import HOME_ENV, Home

publish_job = dg.define_asset_job(
    "publish", selection=dg.AssetSelection.all(),
    description="Load new landing files, build and test the marts, run the gates, publish serving.duckdb.")


def backfill_job(name: str, partitions_def: dg.TimeWindowPartitionsDefinition, months: Callable[[str], tuple[str, str]],
                 description: str):
    """The publish job, partitioned through its run config: a partition's run loads only the landing files of its
    months (pipelines/backfill.py) and, like every run, rebuilds the marts in full. Launched from the UI's
    Partitions tab (one run per partition); `wellbeing backfill --from --to` takes a range in one run."""
    def run_config(partition_key: str) -> dict:
        first, last = months(partition_key)
        return {"resources": {"home": {"config": {"root": {"env": HOME_ENV}, "backfill_from": first,
                                                  "backfill_to": last}}}}

    return dg.define_asset_job(name, selection=dg.AssetSelection.all(), description=description,
                               config=dg.PartitionedConfig(partitions_def, run_config_for_partition_key_fn=run_config))


# sickness, turnover, workforce and pulse files by month; the Staff Survey and social care by calendar year
FIRST_PERIOD = "2019"
backfill_jobs = [
    backfill_job("backfill_month", dg.MonthlyPartitionsDefinition(start_date=f"{FIRST_PERIOD}-01", fmt="%Y-%m"),
                 lambda month: (month, month),
                 "Load one month's landing files (sickness, turnover, workforce, pulse), build, check, publish."),
    backfill_job("backfill_year", dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start=FIRST_PERIOD,
                                                                    fmt="%Y"),
                 lambda year: (f"{year}-01", f"{year}-12"),
                 "Load one calendar year's landing files (the Staff Survey, social care and that year's months), "
                 "build, check, publish."),
]

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
