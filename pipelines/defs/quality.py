"""Blocking quality gates on the published marts: a failed suite stops the publish."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from expectations import SUITES, validate

from .dbt import mart_keys


def gx_check(table: str) -> dg.AssetChecksDefinition:
    key = next(k for k in mart_keys() if k.path[-1] == table)

    @dg.asset_check(asset=key, name=f"gx_{table}", blocking=True,
                    description=f"Great Expectations suite for marts.{table}")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            df = con.execute(f"select * from marts.{table}").df()
        verdict = validate(table, df, SUITES[table]())
        return dg.AssetCheckResult(passed=verdict.success, severity=dg.AssetCheckSeverity.ERROR, metadata={
            "evaluated": verdict.evaluated,
            "failed": len(verdict.failures),
            "summary": verdict.summary(),
        })

    return _check


gx_checks = [gx_check(table) for table in SUITES]
