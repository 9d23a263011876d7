"""The publish asset: runs only when every blocking gate upstream has passed."""

import dagster as dg

from expectations.contract import dbt_vars, load_manifest, mart_contracts
from expectations.disclosure import thresholds as disclosure_limits
from expectations.thresholds import load_thresholds

from ..outcomes import checks_of_run
from ..project import dbt_project
from ..publish import publish
from .dbt import mart_keys
from .resources import HomeResource

PREVIEW_ROWS = 5


@dg.asset(key=["serving", "snapshot"], deps=mart_keys(), group_name="publish", kinds={"duckdb", "parquet"},
          description="Copy every mart into serving.duckdb by one atomic rename, with meta tables and Parquet exports.")
def serving_snapshot(context: dg.AssetExecutionContext, home: HomeResource) -> dg.MaterializeResult:
    tables = [key.path[-1] for key in mart_keys()]  # the dbt marts only, never a stray table in the schema
    contracts = mart_contracts(load_manifest(dbt_project.manifest_path))
    with home.build_database() as con:
        variables = dbt_vars(con)
        # everything a published number depends on besides the inputs, recorded with it in meta.publish_log
        settings = {"dbt_vars": variables, "gates": load_thresholds(home.home.root).as_dict(),
                    "disclosure": disclosure_limits(variables)}
        checks = [c.as_row() for c in checks_of_run(context.instance, context.run_id)]
        published = publish(con, home.home, context.run_id, [contracts[t] for t in tables], checks, settings)
    # each published table as the UI shows it: where it is stored, its row count, its first rows
    for table in tables:
        context.log_event(dg.AssetObservation(asset_key=["marts", table], metadata={
            "published_storage": dg.MetadataValue.path(str(published.path)),
            "dagster/row_count": published.tables[table],
            "preview": dg.MetadataValue.md(preview(published.path, table)),
        }))
    return dg.MaterializeResult(metadata={
        "publish_id": published.publish_id,
        "path": dg.MetadataValue.path(str(published.path)),
        "tables": dg.MetadataValue.json(published.tables),
        "rows_published": sum(published.tables.values()),
    })


def preview(serving, table: str) -> str:
    """The first rows of a published table as a Markdown table (aggregates only: marts hold no record-level data)."""
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as con:
        result = con.execute(f"select * from marts.{table} limit {PREVIEW_ROWS}")
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)
