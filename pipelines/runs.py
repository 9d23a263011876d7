"""Running the publish job in-process against a home folder, then reading back what happened from the
Dagster instance (the same record `wellbeing status` reads for runs the sensor, the schedule or the UI started)."""
from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .backfill import MonthRange
from .landing import ready_files
from .outcomes import STARTED_BY_TAG, CheckOutcome, RunOutcome, run_outcome
from .settings import Home

JOB = "publish"
PROGRESS_SECONDS = 3.0


@dataclass
class RunReport:
    """A finished run: its outcome in the instance, and the files it logged in raw.load_log."""

    outcome: RunOutcome
    files: list[dict] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.outcome.success

    @property
    def run_id(self) -> str:
        return self.outcome.run_id

    @property
    def checks(self) -> list[CheckOutcome]:
        return self.outcome.checks

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return self.outcome.failed_checks

    @property
    def failed_steps(self) -> list:
        return self.outcome.failed_steps

    @property
    def published(self) -> dict | None:
        return self.outcome.published


@dataclass(frozen=True)
class Progress:
    stage: str
    files_done: int
    files_total: int
    models_built: int
    models_total: int
    checks_done: int
    checks_total: int

    def line(self) -> str:
        return (f"  {self.stage}: files {self.files_done} of {self.files_total}, dbt models {self.models_built} "
                f"of {self.models_total}, checks {self.checks_done} of {self.checks_total}")


def prepare(home: Home) -> Home:
    """The home's folders and its Dagster instance's settings."""
    from .instance import write_instance_settings  # imports Dagster: not for the CLI's --help

    home.ensure()
    write_instance_settings(home)
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


class BuildDatabaseUnreadable(RuntimeError):
    """build.duckdb exists but DuckDB cannot open it (truncated, overwritten): rebuild it from archive/."""


def check_build_database(home: Home) -> None:
    """Fail at once, in one line, on a damaged build database: inside a step the connection would be retried
    for minutes first. The caller holds the home's lock, so no other writer can be holding the file."""
    if not home.build_db.exists():
        return
    try:
        duckdb.connect(str(home.build_db)).close()
    except duckdb.Error as err:
        reason = str(err).splitlines()[0]
        raise BuildDatabaseUnreadable(f"{home.build_db} cannot be opened ({reason}); nothing was changed. "
                                      "Rebuild it from archive/ with `wellbeing rebuild`.") from err


def run_pipeline(home: Home, log_level: str = "WARNING", started_by: str = "wellbeing run",
                 on_progress: Callable[[Progress], None] | None = None, wait_seconds: float = 0.0,
                 months: MonthRange | None = None) -> RunReport:
    """Load, build, check and publish under the home's lock; the report says what was loaded, which gates
    failed, what was published. With `months`, a backfill: only the landing files of those months are loaded.
    Raises HomeLocked when another process holds the home."""
    import dagster as dg

    from .lock import home_lock
    from .publish import restore_serving

    prepare(home)
    from .definitions import defs

    job = defs.resolve_job_def(JOB)
    run_id = str(uuid.uuid4())
    started = datetime.now(UTC).replace(tzinfo=None)
    files_total = len(ready_files(home, time.time()).ready)
    home_config: dict = {"root": str(home.root)}
    if months:
        home_config["backfill_from"], home_config["backfill_to"] = (f"{y}-{m:02d}" for y, m in (months.start, months.end))
        started_by = f"{started_by} {months}"
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}},
                  "resources": {"home": {"config": home_config}}}
    with home_lock(home, "run", wait_seconds), dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        restore_serving(home)
        check_build_database(home)
        watcher = _Watcher(instance, run_id, home, files_total, job, on_progress)
        # dbt's own progress lines go to the run log, not the terminal
        with open(home.reports / "last_run.log", "w") as log, contextlib.redirect_stdout(log), watcher:
            job.execute_in_process(
                instance=instance, raise_on_error=False, run_id=run_id, tags={STARTED_BY_TAG: started_by},
                run_config=run_config)
        return RunReport(run_outcome(instance, run_id), _files_logged_since(home, started))


class _Watcher:
    """Reports progress while the run executes, read from the instance's event log every few seconds."""

    def __init__(self, instance, run_id: str, home: Home, files_total: int, job, on_progress) -> None:
        from .defs.dbt import dbt_models

        self.instance, self.run_id, self.home, self.on_progress = instance, run_id, home, on_progress
        self.files_total = files_total
        self.model_keys = {k for k in dbt_models.keys if k.path[0] != "raw"}
        self.checks_total = sum(len(list(a.check_keys)) for a in job.asset_layer.asset_graph.assets_defs)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.last: Progress | None = None
        # what the event log has said so far, read on from `cursor` at each tick: reading every event again took a
        # tenth of a second late in a national run, beside steps that wait for the same interpreter lock
        self.cursor: str | None = None
        self.stage, self.models_built, self.checks_done = "starting", 0, 0

    def __enter__(self):
        if self.on_progress:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
            self._report()

    def _loop(self) -> None:
        while not self.stop.wait(PROGRESS_SECONDS):
            self._report()

    def _report(self) -> None:
        import dagster as dg

        try:
            read = self.instance.get_records_for_run(self.run_id, cursor=self.cursor, of_type={
                dg.DagsterEventType.STEP_START, dg.DagsterEventType.ASSET_MATERIALIZATION,
                dg.DagsterEventType.ASSET_CHECK_EVALUATION})
        except Exception:  # the run has not been created yet, or the storage is busy: try at the next tick
            return
        self.cursor = read.cursor
        for event in (r.event_log_entry.dagster_event for r in read.records):
            if event.event_type == dg.DagsterEventType.STEP_START:
                self.stage = _stage(event.step_key)
            self.models_built += (event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                                  and event.asset_key in self.model_keys)
            self.checks_done += event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        progress = Progress(
            stage=self.stage,
            files_done=max(0, self.files_total - len(ready_files(self.home, time.time()).ready)
                           - _held_count(self.home)),
            files_total=self.files_total, models_built=self.models_built, models_total=len(self.model_keys),
            checks_done=self.checks_done, checks_total=self.checks_total)
        if progress != self.last:
            self.last = progress
            self.on_progress(progress)


def _held_count(home: Home) -> int:
    return sum(p.is_file() for p in home.held.rglob("*")) if home.held.exists() else 0


def _stage(step_key: str) -> str:
    """A step's name as an operator reads it."""
    if step_key.startswith("ingest_"):
        return f"loading {step_key.removeprefix('ingest_')} files"
    return {"dbt_models": "building the marts (dbt)", "raw_gate": "checking the raw tables",
            "mart_gate": "checking the marts", "serving__snapshot": "publishing"}.get(step_key, step_key)


def _files_logged_since(home: Home, since: datetime) -> list[dict]:
    if not home.build_db.exists():
        return []
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        rows = con.execute("""select file_name, format, outcome, rows_loaded, message from raw.load_log
                              where logged_at >= ? order by logged_at""", [since]).fetchall()
    return [dict(zip(("file", "format", "outcome", "rows_loaded", "message"), r, strict=False)) for r in rows]


def last_outcomes(home: Home, limit: int = 20) -> list[RunOutcome]:
    """The latest runs in this home's instance (the publish job and its backfill twins), newest first, whoever
    started them."""
    import dagster as dg

    from .instance import write_instance_settings
    from .outcomes import recent_outcomes

    if not home.dagster_settings.exists():
        return []
    write_instance_settings(home)  # the home may have moved since its last run
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        return recent_outcomes(instance, limit)


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
        freshness = con.execute("""select format, latest_period, age_months, max_age_months, status
                                   from meta.source_freshness where status = 'stale' order by format""").fetchall()
    return {"publish_id": publish_id, "published_at": str(published_at), "tables": json.loads(tables),
            "files_loaded": files, "checks": checks[0], "checks_passed": checks[1],
            "stale": [dict(zip(("format", "latest_period", "age_months", "max_age_months", "status"), r, strict=False))
                      for r in freshness]}


def icss_covered(home: Home) -> int:
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        return con.execute("select count(distinct icb_code) from marts.ics_sickness_monthly").fetchone()[0]
