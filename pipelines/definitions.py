"""The Dagster code location: composes the stages, holds no logic of its own."""
import dagster as dg

from .defs.automation import backfill_jobs, landing_sensor, monthly_schedule, publish_job
from .defs.dbt import dbt_models
from .defs.ingest import ingest_assets
from .defs.publish import serving_snapshot
from .defs.quality import gx_checks
from .defs.resources import resources

defs = dg.Definitions(
    assets=[*ingest_assets, dbt_models, serving_snapshot],
    asset_checks=gx_checks,
    jobs=[publish_job, *backfill_jobs],
    schedules=[monthly_schedule],
    sensors=[landing_sensor],
    # one process, one step at a time: DuckDB allows a single writer
    executor=dg.in_process_executor,
    resources=resources(),
)
