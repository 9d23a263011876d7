"""The publish asset: runs only when every blocking gate upstream has passed."""

import json
from contextlib import closing

import dagster as dg
from dagster_duckdb import DuckDBResource

from expectations.contract import dbt_vars
from expectations.disclosure import thresholds as disclosure_limits
from expectations.thresholds import load_thresholds

from ..project import dbt_project
from ..publish import publish
from ..settings import Home
from .dbt import mart_keys


def _checks_of_run(context: dg.AssetExecutionContext) -> list[dict]:
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    checks = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        checks.append({"asset": evaluation.asset_key.to_user_string(), "check": evaluation.check_name,
                       "passed": evaluation.passed, "severity": evaluation.severity.value,
                       "detail": json.dumps({k: str(v.value) for k, v in evaluation.metadata.items()})})
    return checks


@dg.asset(key=["serving", "snapshot"], deps=mart_keys(), group_name="publish", kinds={"duckdb", "parquet"},
          description="Copy every mart into serving.duckdb by one atomic rename, with meta tables and Parquet exports.")
def serving_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    home = Home.from_env()
    variables = dbt_vars(dbt_project.project_dir)
    # everything a published number depends on besides the inputs, recorded with it in meta.publish_log
    settings = {"dbt_vars": variables, "gates": load_thresholds(home.root).as_dict(),
                "disclosure": disclosure_limits(variables)}
    tables = [key.path[-1] for key in mart_keys()]  # the dbt marts only, never a stray table in the schema
    with duckdb.get_connection() as con, closing(con):  # closed even when publishing fails
        published = publish(con, home, context.run_id, tables, _checks_of_run(context), settings)
    return dg.MaterializeResult(metadata={
        "publish_id": published.publish_id,
        "path": str(published.path),
        "tables": dg.MetadataValue.json(published.tables),
        "rows_published": sum(published.tables.values()),
    })
