"""Ingest: one router takes each landing file once and hands it to its family; one asset per family loads them.

Rejections are checks, not silence: `files_recognised` on the router (unreadable or unknown files) and
`files_accepted` on each raw table (files of its format that were quarantined) fail with WARN severity, so a
run that quarantined a file ends in a visible warning while still publishing the good files.
"""

from collections import Counter

import dagster as dg

from ..faults import fault_point
from ..keys import KeyProblem, key_for
from ..landing import LoadResult, ingest, record_level_staged, route, staged_families
from ..sources import FAMILIES, formats_of
from .resources import HomeResource

ROUTER = dg.AssetKey(["landing", "routed_files"])


def _log_results(context, results: list[LoadResult]) -> None:
    for r in results:
        quiet = r.outcome in ("loaded", "duplicate", "waiting")
        (context.log.info if quiet else context.log.warning)(f"{r.outcome}: {r.message}")


def _rejections(results: list[LoadResult]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {r.message}" for r in results if r.outcome == "rejected") or "none")


@dg.asset(key=ROUTER, group_name="ingest", kinds={"python"},
          description="Take each stable landing file once (private copy, hashed in the same read), recognise its "
                      "format from the header and hand it to its family; quarantine what no format reads.",
          check_specs=[dg.AssetCheckSpec("files_recognised", asset=ROUTER,
                                         description="no landing file was unreadable or of an unknown format")])
def landing_router(context: dg.AssetExecutionContext, home: HomeResource):
    with home.build_database() as con:
        results = route(con, home.home)
    _log_results(context, results)
    outcomes = Counter(r.outcome for r in results)
    rejected = [r for r in results if r.outcome == "rejected"]
    yield dg.MaterializeResult(asset_key=ROUTER, metadata={
        "files_staged": dg.MetadataValue.json(staged_families(home.home)),
        "files_rejected": outcomes["rejected"], "files_waiting": outcomes["waiting"],
        "files_skipped": outcomes["skipped"], "rejections": _rejections(results),
        "skipped": dg.MetadataValue.md("\n".join(f"- {r.message}" for r in results if r.outcome in ("skipped", "waiting"))
                                       or "none"),
    })
    yield dg.AssetCheckResult(asset_key=ROUTER, check_name="files_recognised", passed=not rejected,
                              severity=dg.AssetCheckSeverity.WARN, metadata={
                                  "summary": f"{len(rejected)} file(s) quarantined: "
                                             + "; ".join(r.message for r in rejected) if rejected
                                  else "every file taken was recognised"})


def family_asset(family: str) -> dg.AssetsDefinition:
    formats = formats_of(family)
    # several formats may feed one raw table (e.g. survey maps): one asset per table
    tables = {f.table: f for f in reversed(formats)}
    specs = [dg.AssetSpec(["raw", table], description=f.description, group_name="ingest", deps=[ROUTER],
                          kinds={"polars", "duckdb"}, skippable=True) for table, f in tables.items()]
    checks = [dg.AssetCheckSpec("files_accepted", asset=["raw", table],
                                description=f"no {table} file was quarantined in this run") for table in tables]

    @dg.multi_asset(name=f"ingest_{family}", specs=specs, check_specs=checks, can_subset=False,
                    description=f"Load the {family} files the router staged into their raw tables.")
    def _ingest(context: dg.AssetExecutionContext, home: HomeResource):
        try:
            key = key_for(home.home, needs_key=record_level_staged(home.home, family))
        except KeyProblem as err:
            raise dg.Failure(description=str(err)) from None
        with home.build_database() as con:
            results = ingest(con, home.home, family, key)
            fault_point("ingest")
            counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
        _log_results(context, results)
        for table in tables:
            mine = [r for r in results if r.table == table]
            rejected = [r for r in mine if r.outcome == "rejected"]
            yield dg.MaterializeResult(asset_key=["raw", table], metadata={
                "rows_in_table": counts[table],
                "files_loaded": sum(r.outcome == "loaded" for r in mine),
                "rows_loaded": sum(r.rows_loaded for r in mine),
                "files_duplicate": sum(r.outcome == "duplicate" for r in mine),
                "files_rejected": len(rejected),
                "rejections": _rejections(mine),
            })
            yield dg.AssetCheckResult(
                asset_key=["raw", table], check_name="files_accepted", passed=not rejected,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"summary": f"{len(rejected)} file(s) quarantined: " + "; ".join(r.message for r in rejected)
                          if rejected else f"{len(mine)} file(s) taken, none quarantined"})

    return _ingest


ingest_assets = [landing_router, *(family_asset(family) for family in FAMILIES)]
