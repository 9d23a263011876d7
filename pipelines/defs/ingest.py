"""One asset per source family: load its new landing files into typed raw tables."""

from collections import Counter
from contextlib import closing

import dagster as dg
from dagster_duckdb import DuckDBResource

from ..faults import fault_point
from ..keys import load_key
from ..landing import ingest
from ..settings import Home
from ..sources import FAMILIES, formats_of


def family_asset(family: str) -> dg.AssetsDefinition:
    formats = formats_of(family)
    # several formats may feed one raw table (e.g. survey maps): one asset per table
    tables = {f.table: f for f in reversed(formats)}
    specs = [dg.AssetSpec(["raw", table], description=f.description, group_name="ingest",
                          kinds={"polars", "duckdb"}, skippable=True) for table, f in tables.items()]

    @dg.multi_asset(name=f"ingest_{family}", specs=specs, can_subset=False,
                    description=f"Load new {family} files from the landing folder (format recognised from the header).")
    def _ingest(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
        home = Home.from_env()
        # closing(): DuckDBResource leaves the connection open when the block raises
        with duckdb.get_connection() as con, closing(con):
            results = ingest(con, home, family, load_key(home))
            fault_point("ingest")
            counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
        outcomes = Counter(r.outcome for r in results)
        for r in results:
            log = context.log.warning if r.outcome == "rejected" else context.log.info
            log(f"{r.outcome}: {r.message}" if r.outcome == "rejected" else f"{r.file}: {r.outcome}, {r.message}")
        for table in tables:
            mine = [r for r in results if r.format in {f.name for f in formats if f.table == table}]
            yield dg.MaterializeResult(asset_key=["raw", table], metadata={
                "rows_in_table": counts[table],
                "files_loaded": sum(r.outcome == "loaded" for r in mine),
                "rows_loaded": sum(r.rows_loaded for r in mine),
                "files_duplicate": outcomes["duplicate"],
                "files_rejected": outcomes["rejected"],
                "rejections": dg.MetadataValue.md("\n".join(f"- {r.message}" for r in results
                                                            if r.outcome == "rejected") or "none"),
            })

    return _ingest


ingest_assets = [family_asset(family) for family in FAMILIES]
