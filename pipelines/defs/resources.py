from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dbt.version import __version__ as dbt_core_version
from packaging import version
from pydantic import PrivateAttr

from ..alerts import WEBHOOK_ENV, alert_text, post_alert
from ..backfill import MonthRange, hold_outside, release_held
from ..keys import load_key
from ..lock import HomeLocked, home_lock
from ..outcomes import RunOutcome, StepFailure, run_outcome
from ..project import dbt_project
from ..settings import HOME_ENV, Home, duckdb_config

# a run the daemon starts waits this long for a CLI run or a rollback holding the home, then fails
RUN_LOCK_WAIT_SECONDS = 3600


class HomeResource(dg.ConfigurableResource):
    """The home folder a run works in, the one setting every step derives its paths from. For the whole run it
    holds the home's lock (one writer: runs, rollbacks, retracts and rebuilds take turns), and at its end it
    posts an alert when a step failed or a gate blocked the publish."""

    root: str
    lock_wait_seconds: float = RUN_LOCK_WAIT_SECONDS
    # a backfill: only the landing files of these months (YYYY-MM, inclusive) are loaded by this run
    backfill_from: str = ""
    backfill_to: str = ""
    _held: ExitStack = PrivateAttr(default_factory=ExitStack)

    @property
    def home(self) -> Home:
        return Home(Path(self.root))

    @contextmanager
    def build_database(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to build.duckdb, closed however the block ends. The run holds the home's
        lock, so no other writer can hold the file: no retry loop."""
        con = duckdb.connect(str(self.home.build_db), config=duckdb_config())
        try:
            yield con
        finally:
            con.close()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        try:
            self._held.enter_context(home_lock(self.home, "run", self.lock_wait_seconds))
        except HomeLocked as err:
            run_id = context.run_id or "unknown"
            self._alert(RunOutcome(run_id, "FAILURE", None, "run", [], [StepFailure("lock", str(err))], None),
                        context)
            raise
        release_held(self.home)  # files a killed backfill left aside go back first
        if self.backfill_from or self.backfill_to:
            months = MonthRange.parse(self.backfill_from, self.backfill_to)
            held = hold_outside(self.home, months, load_key(self.home))
            context.log.info(f"backfill {months}: {len(held)} landing files outside it wait in {self.home.held}")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        try:
            if context.instance is not None and context.run_id:
                outcome = run_outcome(context.instance, context.run_id)
                if outcome.failed_steps or outcome.failed_checks:
                    self._alert(outcome, context)
        finally:
            try:
                release_held(self.home)
            finally:
                self._held.close()

    def _alert(self, outcome: RunOutcome, context: dg.InitResourceContext) -> None:
        webhook = os.environ.get(WEBHOOK_ENV)
        if not webhook:
            return
        try:
            post_alert(webhook, alert_text(outcome, self.root))
        except OSError as err:  # an unreachable webhook must not hide the run's own outcome
            context.log.warning(f"could not post the failure alert to the webhook: {err}")


class DbtCore(DbtCliResource):
    """dbt Core installed beside this Python. Before every build dagster-dbt asks the dbt executable for its
    version (a subprocess of 1.9 CPU-seconds) and opens a dbt adapter in the run's process (0.6-1.2 more),
    which serves only the row counts and column metadata this project does not fetch: both are skipped."""

    @classmethod
    def beside_python(cls) -> DbtCore:
        # the venv's dbt even when the venv is not activated
        return cls(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_core_version)

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None


def resources() -> dict:
    return {
        "dbt": DbtCore.beside_python(),
        # `wellbeing` runs pass the home in the run config; runs the UI's daemon starts read WELLBEING_HOME
        "home": HomeResource(root=dg.EnvVar(HOME_ENV)),
    }
