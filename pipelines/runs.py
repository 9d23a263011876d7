"""Running the publish job in-process against a home folder, and reading back what happened."""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .project import DBT_DIR
from .settings import Home

DAGSTER_YAML = "telemetry:\n  enabled: false\n"


@dataclass
class RunSummary:
    success: bool
    run_id: str
    started_at: str
    files: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    published: dict | None = None

    @property
    def failed_checks(self) -> list[dict]:
        return [c for c in self.checks if not c["passed"]]


def ensure_manifest() -> Path:
    """`dbt parse` when the manifest is missing or older than the dbt project (dagster-dbt needs it at import)."""
    manifest = DBT_DIR / "target" / "manifest.json"
    sources = [p for p in DBT_DIR.rglob("*") if p.suffix in {".sql", ".yml", ".csv"} and "target" not in p.parts]
    if not manifest.exists() or manifest.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        dbt = str(Path(sys.executable).with_name("dbt"))
        subprocess.run([dbt, "parse", "--quiet", "--profiles-dir", str(DBT_DIR), "--project-dir", str(DBT_DIR)],
                       check=True, cwd=DBT_DIR)
    return manifest


def prepare(home: Home) -> Home:
    home.activate()
    dagster_yaml = home.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(DAGSTER_YAML)
    ensure_manifest()
    return home


def stage_landing(home: Home, source: Path) -> list[Path]:
    """Copy a folder of extracts into the landing folder (the originals stay where they are)."""
    copied = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target = home.landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied.append(target)
    return copied


def run_pipeline(home: Home, log_level: str = "WARNING") -> RunSummary:
    """Load, build, check and publish; the summary says what was loaded, which gates failed, what was published."""
    import dagster as dg

    prepare(home)
    from .definitions import defs

    started = datetime.now(timezone.utc).replace(tzinfo=None)
    # dbt's own progress lines go to the run log, not the terminal
    with dg.DagsterInstance.get() as instance, open(home.reports / "last_run.log", "w") as log, \
            contextlib.redirect_stdout(log):
        result = defs.resolve_job_def("publish").execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})
        checks = [_check(e) for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
        published = next((e.event_specific_data.materialization.metadata for e in result.all_events
                          if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                          and e.asset_key == dg.AssetKey(["serving", "snapshot"])), None)
        failed_steps = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    summary = RunSummary(
        success=result.success and published is not None,
        run_id=result.run_id,
        started_at=started.isoformat(timespec="seconds"),
        files=_files_logged_since(home, started),
        checks=checks,
        failed_steps=failed_steps,
        published={k: v.value for k, v in published.items()} if published else None,
    )
    (home.reports / "last_run.json").write_text(json.dumps(asdict(summary), indent=2, default=str))
    return summary


def _check(event) -> dict:
    evaluation = event.event_specific_data
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    return {"asset": evaluation.asset_key.to_user_string(), "check": evaluation.check_name,
            "passed": evaluation.passed, "detail": str(meta.get("summary") or meta.get("status") or "")}


def _files_logged_since(home: Home, since: datetime) -> list[dict]:
    if not home.build_db.exists():
        return []
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        rows = con.execute("""select file_name, format, outcome, rows_loaded, message from raw.load_log
                              where logged_at >= ? order by logged_at""", [since]).fetchall()
    return [dict(zip(("file", "format", "outcome", "rows_loaded", "message"), r)) for r in rows]


def published_status(home: Home) -> dict | None:
    """What readers see now: the latest publish, its tables and its checks (read-only, short-lived)."""
    if not home.serving_db.exists():
        return None
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        publish_id, published_at, tables, files = con.execute(
            "select publish_id, published_at, tables, files_loaded from meta.publish_log "
            "order by published_at desc limit 1").fetchone()
        checks = con.execute("select count(*), count(*) filter (where passed) from meta.check_results "
                             "where publish_id = ?", [publish_id]).fetchone()
        icss = con.execute("select count(distinct icb_code) from marts.ics_sickness_monthly").fetchone()[0]
    return {"publish_id": publish_id, "published_at": str(published_at), "tables": json.loads(tables),
            "files_loaded": files, "checks": checks[0], "checks_passed": checks[1], "icss": icss}
