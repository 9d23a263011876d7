import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from ..project import dbt_project


def resources() -> dict:
    return {
        # the one writer of build.duckdb (read from the environment per run, so one process can serve many
        # homes); readers only ever open serving.duckdb
        "duckdb": DuckDBResource(database=dg.EnvVar("WELLBEING_BUILD_DB")),
        # the venv's dbt even when the venv is not activated
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    }
