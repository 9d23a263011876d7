"""Where everything lives: the repo's fixed folders and one home folder for all state."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt"
HOME_ENV = "WELLBEING_HOME"
DEFAULT_HOME = Path(".wellbeing")
# DuckDB's working memory and threads for the build database. A quarter of the machine's memory by default: the
# whole run (DuckDB, polars batches, Dagster, dbt) then stays within about a third of it (at national scale on
# 24 GB, README "Performance"); above the limit DuckDB spills to disk (slower, never failing). dbt reads the same
# variable, with the same default, in dbt/profiles.yml.
MEMORY_LIMIT_ENV = "WELLBEING_DUCKDB_MEMORY_LIMIT"
THREADS_ENV = "WELLBEING_DUCKDB_THREADS"
DEFAULT_MEMORY_LIMIT = "25%"
# Committed changes are written into the database file once this much write-ahead log has gathered (DuckDB's
# default is 16 MB): a month of several hundred small per-organisation files then costs a few checkpoints of the
# 2 GB national database, not one every few dozen files (about 4 s of the 20 s a month's staff in post took).
CHECKPOINT_THRESHOLD = "256MB"


def duckdb_config() -> dict[str, str | int]:
    """Settings for every read-write connection to the build database (e.g. WELLBEING_DUCKDB_MEMORY_LIMIT=4GB)."""
    return {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT),
            "threads": int(os.environ.get(THREADS_ENV) or os.cpu_count() or 1),
            "checkpoint_threshold": CHECKPOINT_THRESHOLD}


@dataclass(frozen=True)
class Home:
    """The state folder (`--home` / WELLBEING_HOME): landing, archive, quarantine, warehouse, exports."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        return cls(Path(os.environ.get(HOME_ENV, DEFAULT_HOME)).resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def held(self) -> Path:
        """Landing files a backfill left out, waiting to go back to landing when it ends."""
        return self.root / "held"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def build_db(self) -> Path:
        return self.warehouse / "build.duckdb"

    @property
    def serving_db(self) -> Path:
        return self.warehouse / "serving.duckdb"

    @property
    def snapshots(self) -> Path:
        """Earlier published serving files, kept for `wellbeing rollback`."""
        return self.warehouse / "snapshots"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def dagster_settings(self) -> Path:
        """The Dagster instance's dagster.yaml (pipelines/instance.py writes it)."""
        return self.dagster_home / "dagster.yaml"

    @property
    def key_file(self) -> Path:
        """Pseudonymisation key; WELLBEING_PSEUDONYM_KEY overrides it."""
        return self.root / "secrets" / "pseudonym.key"

    def ensure(self) -> Home:
        for folder in (self.landing, self.archive, self.quarantine, self.warehouse, self.snapshots,
                       self.exports, self.reports, self.dagster_home, self.key_file.parent):
            folder.mkdir(parents=True, exist_ok=True)
        for private in (self.archive, self.quarantine, self.key_file.parent):  # clear record-level extracts, the key
            private.chmod(0o700)
        return self

    def environment(self) -> dict[str, str]:
        """What a child process started for this home reads (Dagster's web server and daemon, Streamlit)."""
        return {HOME_ENV: str(self.root), "DAGSTER_HOME": str(self.dagster_home)}
