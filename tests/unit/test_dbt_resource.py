"""How runs call dbt: without dagster-dbt's per-build extras (DbtCore), and what a failed build says in the
run's summary (build_failure)."""
from __future__ import annotations

import pytest
from dbt.version import __version__ as dbt_core_version
from packaging import version

from pipelines.defs.dbt import build_failure
from pipelines.defs.resources import DbtCore


def test_dbt_core_asks_no_subprocess_for_the_version_and_opens_no_adapter(monkeypatch):
    """dagster-dbt still has the two members DbtCore replaces (an upgrade renaming them would bring the cost back
    unnoticed), and neither starts dbt."""
    import dagster_dbt.core.resource as dagster_dbt_resource

    def no_subprocess(*args, **kwargs):
        pytest.fail(f"dbt was started: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(vars(dagster_dbt_resource.DbtCliResource))
    dbt = DbtCore.beside_python()
    assert dbt._cli_version == version.parse(dbt_core_version)
    assert dbt._initialize_dbt_core_adapter(["build"]) is None


def result(unique_id: str, status: str, message: str | None = None) -> dict:
    return {"unique_id": unique_id, "status": status, "message": message}


def test_a_model_in_error_is_named_with_the_databases_reason():
    run_results = {"results": [
        result("model.wellbeing.ics_turnover_monthly", "success", "OK"),
        result("model.wellbeing.national_turnover_monthly", "error",
               "Runtime Error in model national_turnover_monthly (models/marts/national/national_turnover_monthly.sql)"
               "\n  Constraint Error: NOT NULL constraint failed: national_turnover_monthly__dbt_tmp.boundary_basis"),
        result("model.wellbeing.ics_alerts", "skipped"),
        result("test.wellbeing.unique_combination_ics_alerts_icb_code.1a2b", "fail", "Got 2 results"),
        result("test.wellbeing.accepted_values_stg_x.3c4d", "warn", "Got 1 result"),
    ]}
    assert build_failure(run_results) == (
        "dbt build: 1 node(s) in error: national_turnover_monthly: Constraint Error: NOT NULL constraint failed: "
        "national_turnover_monthly__dbt_tmp.boundary_basis; 1 data test(s) failed (see the failed checks)")


def test_a_test_in_error_is_named_and_a_build_with_nothing_failed_says_nothing():
    sql_error = result("test.wellbeing.sickness_routes_agree_org_sickness_monthly.9f", "error",
                       "Database Error in test sickness_routes_agree (models/x.yml)\n  Binder Error: column missing")
    assert build_failure({"results": [sql_error]}) == (
        "dbt build: 1 node(s) in error: sickness_routes_agree_org_sickness_monthly: Binder Error: column missing")
    assert build_failure({"results": [result("model.wellbeing.dim_ics", "success")]}) is None
    assert build_failure(None) is None  # dbt stopped before writing results: the caller says what dbt said
