"""The dbt project, importable without a manifest (no relative imports: dagster-dbt tooling loads this file)."""
import json
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.settings import DBT_DIR, Home

__all__ = ["DBT_DIR", "dbt_command", "dbt_project", "ensure_manifest", "in_home"]
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def ensure_manifest() -> Path:
    """`dbt parse` when the manifest is missing or older than the dbt project (dagster-dbt needs it at import).
    The manifest describes the code, so it lives beside it; runs write their artifacts under their home."""
    manifest = Path(dbt_project.manifest_path)
    sources = [p for p in DBT_DIR.rglob("*") if p.suffix in {".sql", ".yml", ".csv"} and "target" not in p.parts]
    if not manifest.exists() or manifest.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        subprocess.run(dbt_command("parse", "--quiet", "--log-level-file", "none", "--log-path", str(manifest.parent)),
                       check=True, cwd=DBT_DIR)
    return manifest


def dbt_command(*args: str) -> list[str]:
    """This environment's dbt on this project (run it with cwd=DBT_DIR)."""
    return [str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", str(DBT_DIR),
            "--project-dir", str(DBT_DIR)]


def in_home(home: Home) -> list[str]:
    """dbt arguments that point a command at the home's build database (dbt/profiles.yml reads the var)."""
    return ["--vars", json.dumps({"build_db": str(home.build_db)})]
