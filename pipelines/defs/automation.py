"""The publish job, a nightly schedule and a sensor that starts a run when files land."""

import hashlib
import time

import dagster as dg

from ..landing import ready_files
from ..settings import Home

publish_job = dg.define_asset_job(
    "publish", selection=dg.AssetSelection.all(),
    description="Load new landing files, build and test the marts, run the gates, publish serving.duckdb.")

nightly_schedule = dg.ScheduleDefinition(job=publish_job, cron_schedule="0 2 * * *",
                                         default_status=dg.DefaultScheduleStatus.STOPPED)


@dg.sensor(job=publish_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def landing_sensor(context: dg.SensorEvaluationContext):
    """One run per distinct set of waiting files (the run key stops a second run for the same files)."""
    files = ready_files(Home.from_env(), time.time()).ready
    if not files:
        return dg.SkipReason("landing folder is empty")
    stamp = "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    yield dg.RunRequest(run_key=hashlib.sha256(stamp.encode()).hexdigest()[:16])
