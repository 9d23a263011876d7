"""dbt build as Dagster assets: every model, seed and test; tests gate downstream models."""
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from expectations.contract import load_manifest

from .. import build_state
from ..faults import fault_point
from ..project import dbt_project, ensure_manifest, in_home
from ..settings import Home
from .resources import DbtCore, HomeResource

REBUILD_FROM_ENV = "WELLBEING_REBUILD_FROM"  # read by dbt/macros/rebuilt_months.sql


class Translator(DagsterDbtTranslator):
    """Groups follow the dbt folders (staging, intermediate, marts, reference seeds)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id, {})
        folder = node.get("fqn", ["", "raw"])[1] if node.get("resource_type") == "model" else node.get("resource_type")
        return spec.replace_attributes(group_name={"seed": "reference"}.get(folder, folder))


def dbt_build_args(home: Home, plan: build_state.Plan) -> list[str]:
    """Models, seeds and data tests in the home's build database, as the `plan` says (pipelines/build_state.py):
    all but its unchanged nodes (incremental models rebuild from the months `rebuilt_months_env` gives them). dbt
    unit tests check the SQL, not the data: they run in the test suite (tests/unit/test_dbt_unit_tests.py), not on
    every scheduled run. dbt's own log file keeps warnings and errors: each node's progress is in the Dagster
    run's events, and writing it again at debug level cost about 1 of a tiny build's 14 CPU-seconds."""
    args = ["build", "--exclude-resource-type", "unit_test", "--log-level-file", "warn", *in_home(home)]
    if plan.full:
        return [*args, "--full-refresh"]
    # named one by one; "empty" keeps dbt from also dropping a test of a rebuilt model that reads a kept one
    return args + (["--exclude", " ".join(plan.unchanged), "--indirect-selection", "empty"] if plan.unchanged else [])


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=Translator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCore, home: HomeResource):
    # the run's artifacts and logs stay in its home, never in the checkout (shared by every home); runs
    # take turns (the home lock), so one folder per home is enough
    target = home.home.root / "dbt" / "target"
    results = target / "run_results.json"
    results.unlink(missing_ok=True)  # a build that stops before running any node must not report the last one's
    last_manifest = target / "manifest.json"  # the graph of the build whose state is recorded
    whole = (context.selected_asset_keys == set(dbt_models.keys)
             and context.selected_asset_check_keys == set(dbt_models.check_keys))
    with home.build_database() as con:
        plan = build_state.begin(con, load_manifest(last_manifest if last_manifest.exists()
                                                    else dbt_project.manifest_path), whole, context.run.run_id)
    if plan.unchanged:
        context.log.info(f"{len(plan.unchanged)} models, seeds and tests not run again: their inputs are as the last "
                         f"successful build found them; the models keeping their tables: {', '.join(plan.kept_models)}")
    if plan.rebuild_from:
        context.log.info("incremental models rebuilding from a month: " + ", ".join(
            f"{model} from {month or 'the first month'}" for model, month in sorted(plan.rebuild_from.items())))
    with rebuilt_months_env(plan):
        invocation = dbt.cli(dbt_build_args(home.home, plan), context=context, target_path=target,
                             raise_on_error=False)
    for event in invocation.stream():
        yield event
        fault_point("dbt_build")
    if not invocation.is_successful():
        ran = results.exists()
        raise DbtBuildFailed(build_failure(invocation.get_artifact("run_results.json") if ran else None)
                             or str(invocation.get_error()))
    if whole:
        with home.build_database() as con:
            build_state.record(con, plan.state)


@contextmanager
def rebuilt_months_env(plan: build_state.Plan) -> Iterator[None]:
    """The first month each incremental model rebuilds, where dbt/macros/rebuilt_months.sql reads it, for the dbt
    process started inside the block (dagster-dbt passes it this process's environment)."""
    os.environ[REBUILD_FROM_ENV] = json.dumps(plan.rebuild_from)
    try:
        yield
    finally:
        del os.environ[REBUILD_FROM_ENV]


class DbtBuildFailed(Exception):
    """dbt build ended in failure; the message's first line says which nodes and why."""


def build_failure(run_results: dict | None) -> str | None:
    """One line for the run's summary: each node that errored (a model that could not be built, e.g. a mart
    breaking its contract's not-null constraint) with dbt's reason, and how many data tests failed (each is
    reported by its own check)."""
    results = (run_results or {}).get("results", [])
    # dbt's message is "Runtime Error in model <name> (<path>)" and then the database's reason
    errors = [f"{r['unique_id'].split('.')[2]}: {(r['message'] or 'error').strip().splitlines()[-1].strip()}"
              for r in results if r["status"] == "error"]
    failed = sum(r["status"] == "fail" for r in results)
    parts = ([f"{len(errors)} node(s) in error: " + "; ".join(errors)] if errors else []) + \
            ([f"{failed} data test(s) failed (see the failed checks)"] if failed else [])
    return "dbt build: " + "; ".join(parts) if parts else None


def mart_keys() -> list[dg.AssetKey]:
    """Every published table: the models under models/marts/."""
    return [key for key in dbt_models.keys if key.path[0] == "marts"]
