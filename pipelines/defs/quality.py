"""Blocking quality gates: the raw suites stop dbt, the mart suites stop the publish.

Each gate is one step (one GX context, one data docs site under <home>/reports/data_docs/<gate>/) that
reports one check per table: gx_raw_<table> before dbt; gx_, distribution_ and disclosure_<table> after it.
Neither reads again what it passed: the raw gate profiles the loads it has not passed (expectations/raw.py), and a
mart check whose inputs and rules are unchanged since it passed is not run again (expectations/standing.py).
"""
from dataclasses import asdict, replace
from datetime import date
from functools import partial

import dagster as dg

from expectations.contract import dbt_vars, load_manifest, mart_contracts
from expectations.disclosure import thresholds as disclosure_limits
from expectations.marts import PREVIOUS, validate_contract, validate_disclosure, validate_distribution
from expectations.raw import judge, keep_fingerprints, profile
from expectations.runner import Gate, Verdict, import_in_background
from expectations.standing import configuration, run_or_stand
from expectations.suites import mart_rules
from expectations.thresholds import load_thresholds

from ..build_state import full_build_asked, source_months
from ..faults import fault_point
from ..freshness import source_freshness
from ..project import dbt_project
from ..publish import served_copy
from ..sources.contract import raw_table, tables
from .dbt import mart_keys
from .resources import HomeResource

# one check per raw table, against the contract of the formats that land in it; its rows are fingerprinted by the
# months the dbt build rebuilds from (the source's `changes_months_from`), for the build of the same run
MONTHS = source_months(load_manifest(dbt_project.manifest_path))
RAW_TABLES = {table: replace(raw_table(table), months=MONTHS.get(f"raw.{table}")) for table in tables()}
MART_CHECKS = {
    "gx": "contract: grain, documented scales, known codes, every ICS in every period",
    "distribution": "no row count, period mean or ICS rate far outside the published history",
    "disclosure": "no small cell shown, no person identifier or load provenance published",
}


def check_result(asset_key: dg.AssetKey, verdict: Verdict, docs) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key, check_name=verdict.check, passed=verdict.success,
        severity=dg.AssetCheckSeverity.ERROR, metadata={
            "table": verdict.table,
            "summary": verdict.summary() + ("" if verdict.success else f" (data docs: {docs})"),
            "evaluated": verdict.evaluated,
            "failed": len(verdict.failures),
            "failures": dg.MetadataValue.json([asdict(f) for f in verdict.failures]),
            "data_docs": dg.MetadataValue.path(str(docs)),
        })


@dg.multi_asset_check(
    name="raw_gate", description="Raw tables: schema, types and ranges, before dbt reads them.",
    specs=[dg.AssetCheckSpec(f"gx_raw_{table}", asset=["raw", table], blocking=True,
                             description=f"schema, types and ranges of raw.{table}") for table in RAW_TABLES])
def raw_gate(context: dg.AssetCheckExecutionContext, home: HomeResource):
    gate = Gate("raw", home.home.reports / "data_docs" / "raw", context.run.run_id)
    import_in_background()
    with home.build_database() as con:
        # every table's profile in DuckDB first, while Great Expectations is imported; then its verdicts
        profiles = {table: profile(con, contract, everything=full_build_asked()) for table, contract in RAW_TABLES.items()}
        verdicts = {}
        for table, profiled in profiles.items():
            verdicts[table] = judge(con, gate, profiled)
            fault_point("quality_gate")
        if all(verdict.success for verdict in verdicts.values()):
            keep_fingerprints(con, context.run.run_id, list(RAW_TABLES.values()))
    docs = gate.build_docs()
    for table, verdict in verdicts.items():
        yield check_result(dg.AssetKey(["raw", table]), verdict, docs)


@dg.multi_asset_check(
    name="mart_gate", description="Published tables: contract, distribution and disclosure, before publishing.",
    specs=[dg.AssetCheckSpec(f"{kind}_{key.path[-1]}", asset=key, blocking=True, description=text)
           for key in mart_keys() for kind, text in MART_CHECKS.items()])
def mart_gate(context: dg.AssetCheckExecutionContext, home: HomeResource):
    contracts = mart_contracts(load_manifest(dbt_project.manifest_path))
    thresholds = load_thresholds(home.home.root)
    gate = Gate("marts", home.home.reports / "data_docs" / "marts", context.run.run_id)
    results = []
    with home.build_database() as con, served_copy(home.home) as served:
        settings = dbt_vars(con)
        rules, limits = mart_rules(settings["outside_ics_code"]), disclosure_limits(settings)
        previous = attach_published(con, served)
        try:
            # which tables exist, here and published, decides what some checks compare
            tables = con.execute("select table_catalog, table_name from information_schema.tables "
                                 "where table_schema = 'marts' order by all").fetchall()
            built = [name for catalog, name in tables if catalog != PREVIOUS]
            for key in mart_keys():
                table = key.path[-1]
                contract = contracts[table]
                # each check with what it is run with: only the distribution check compares with the snapshot
                checks = {"gx": (partial(validate_contract, gate=gate, contract=contract, rules=rules),
                                 (rules, built)),
                          "distribution": (partial(validate_distribution, gate=gate, contract=contract, rules=rules,
                                                   thresholds=thresholds, previous_attached=previous),
                                           (rules, thresholds, previous, tables)),
                          "disclosure": (partial(validate_disclosure, gate=gate, contract=contract, limits=limits),
                                         (limits,))}
                for kind, (check, run_with) in checks.items():
                    config = configuration(kind, contract, settings, *run_with)
                    results.append((key, run_or_stand(con, f"{kind}_{table}", f"marts.{table}", config, check,
                                                      everything=full_build_asked())))
        finally:
            if previous:
                con.execute(f"detach {PREVIOUS}")
    docs = gate.build_docs()
    for key, verdict in results:
        yield check_result(key, verdict, docs)


def attach_published(con, serving) -> bool:
    """The snapshot readers see now, read-only, for the distribution checks (False before the first publish)."""
    if serving is None:
        return False
    path = str(serving).replace("'", "''")
    con.execute(f"attach '{path}' as {PREVIOUS} (read_only)")
    return True


@dg.multi_asset_check(
    name="freshness", description="How old each source's newest period is, against its policy (a warning, not a gate).",
    specs=[dg.AssetCheckSpec(f"freshness_{table}", asset=["raw", table], blocking=False,
                             description=f"the newest period in raw.{table} is recent enough for its source")
           for table in RAW_TABLES])
def freshness_check(context: dg.AssetCheckExecutionContext, home: HomeResource):
    with home.build_database() as con:
        rows = source_freshness(con, date.today())
    for table in RAW_TABLES:
        formats = [r for r in rows if r.raw_table == f"raw.{table}"]
        stale = [r for r in formats if r.status == "stale"]
        summary = "; ".join(f"{r.format}: latest {r.latest_period}, {r.age_months} months old (at most "
                            f"{r.max_age_months})" for r in formats if r.latest_period) or "no data loaded"
        yield dg.AssetCheckResult(
            asset_key=["raw", table], check_name=f"freshness_{table}", passed=not stale,
            severity=dg.AssetCheckSeverity.WARN, metadata={"summary": ("STALE " if stale else "") + summary})


gx_checks = [raw_gate, mart_gate, freshness_check]
