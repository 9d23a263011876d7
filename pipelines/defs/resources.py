import sys
from pathlib import Path

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from ..project import dbt_project
from ..settings import Home


def resources(home: Home) -> dict:
    return {
        # the one writer of build.duckdb; readers only ever open serving.duckdb
        "duckdb": DuckDBResource(database=str(home.build_db)),
        # the venv's dbt even when the venv is not activated
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    }
