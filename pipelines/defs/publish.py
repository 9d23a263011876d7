"""The publish asset: runs only when every blocking gate upstream has passed."""

import json

import dagster as dg
from dagster_duckdb import DuckDBResource

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
                       "detail": json.dumps({k: str(v.value) for k, v in evaluation.metadata.items()})[:2000]})
    return checks


@dg.asset(key=["serving", "snapshot"], deps=mart_keys(), group_name="publish", kinds={"duckdb", "parquet"},
          description="Copy every mart into serving.duckdb by one atomic rename, with meta tables and Parquet exports.")
def serving_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    home = Home.from_env()
    vars_in_force = _dbt_vars()
    with duckdb.get_connection() as con:
        published = publish(con, home, context.run_id, _checks_of_run(context), vars_in_force)
    return dg.MaterializeResult(metadata={
        "publish_id": published.publish_id,
        "path": str(published.path),
        "tables": dg.MetadataValue.json(published.tables),
        "rows_published": sum(published.tables.values()),
    })


def _dbt_vars() -> dict:
    import yaml

    return yaml.safe_load((dbt_project.project_dir / "dbt_project.yml").read_text()).get("vars", {})
