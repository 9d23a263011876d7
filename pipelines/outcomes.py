"""One record of what a run did, read back from the Dagster instance: the gates, publish, `status`, the CLI and
the alerts all use it, whoever started the run (the CLI, the sensor, the schedule, a backfill)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

STARTED_BY_TAG = "wellbeing/started_by"
PUBLISH_KEY = dg.AssetKey(["serving", "snapshot"])


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    check: str
    passed: bool
    severity: str
    detail: str  # one line a person reads: what failed, where
    metadata: dict = field(default_factory=dict)

    def as_row(self) -> dict:
        return {"asset": self.asset, "check": self.check, "passed": self.passed, "severity": self.severity,
                "detail": json.dumps(self.metadata, default=str)}


@dataclass(frozen=True)
class StepFailure:
    step: str
    message: str


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    status: str  # Dagster's run status: SUCCESS, FAILURE, STARTED, ...
    started_at: str | None
    started_by: str
    checks: list[CheckOutcome]
    failed_steps: list[StepFailure]
    published: dict | None  # the publish asset's metadata when this run published

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed and c.severity == "ERROR"]

    @property
    def warnings(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed and c.severity != "ERROR"]

    @property
    def finished(self) -> bool:
        return self.status in ("SUCCESS", "FAILURE", "CANCELED")

    @property
    def success(self) -> bool:
        return self.published is not None and not self.failed_steps and not self.failed_checks


def check_outcome(evaluation) -> CheckOutcome:
    """From a Dagster AssetCheckEvaluation."""
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    return CheckOutcome(asset=evaluation.asset_key.to_user_string(), check=evaluation.check_name,
                        passed=bool(evaluation.passed), severity=evaluation.severity.value,
                        detail=str(meta.get("summary") or meta.get("status") or ""), metadata=meta)


def checks_of_run(instance: dg.DagsterInstance, run_id: str) -> list[CheckOutcome]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [check_outcome(r.event_log_entry.dagster_event.event_specific_data) for r in records]


def started_by(tags: dict) -> str:
    if "dagster/sensor_name" in tags:
        return f"sensor {tags['dagster/sensor_name']}"
    if "dagster/schedule_name" in tags:
        return f"schedule {tags['dagster/schedule_name']}"
    if "dagster/partition" in tags:  # a partition of a backfill job, launched from the UI
        return f"backfill of {tags['dagster/partition']}" + (f" ({tags['dagster/backfill']})"
                                                               if "dagster/backfill" in tags else "")
    if "dagster/backfill" in tags:
        return f"backfill {tags['dagster/backfill']}"
    return tags.get(STARTED_BY_TAG, "Dagster UI")


def run_outcome(instance: dg.DagsterInstance, run_id: str) -> RunOutcome:
    record = instance.get_run_record_by_id(run_id)
    run = record.dagster_run
    failures, published = [], None
    for entry in instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_FAILURE,
                                                    dg.DagsterEventType.ASSET_MATERIALIZATION,
                                                    dg.DagsterEventType.RUN_FAILURE}):
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failures.append(StepFailure(event.step_key, _root_cause(event.event_specific_data.error, entry.message)))
        elif event.event_type == dg.DagsterEventType.RUN_FAILURE and not failures:
            # a run that failed before any step (a resource could not start: the home was locked, the disk full)
            failures.append(StepFailure("run", _first_line(entry.message)))
        elif event.asset_key == PUBLISH_KEY:
            published = {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}
    started = record.start_time or record.create_timestamp.timestamp()
    return RunOutcome(
        run_id=run_id, status=run.status.value,
        started_at=datetime.fromtimestamp(started, UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        started_by=started_by(run.tags), checks=checks_of_run(instance, run_id), failed_steps=failures,
        published=published)


def recent_outcomes(instance: dg.DagsterInstance, limit: int = 20) -> list[RunOutcome]:
    """The home's latest runs, newest first, of every job (each of them publishes: the publish job and its
    partitioned backfill twins)."""
    records = instance.get_run_records(limit=limit)
    return [run_outcome(instance, r.dagster_run.run_id) for r in records]


def _root_cause(error, fallback: str | None) -> str:
    """The error under Dagster's wrappers ("Error occurred while executing op ..."): what actually went wrong."""
    if error is None:
        return _first_line(fallback)
    while error.cause is not None:
        error = error.cause
    return _first_line(error.message)


def grouped_failures(failures: list[StepFailure]) -> list[tuple[list[str], str]]:
    """Steps that failed with the same message, together (a full disk fails every step the same way)."""
    by_message: dict[str, list[str]] = {}
    for failure in failures:
        by_message.setdefault(failure.message, []).append(failure.step)
    return [(steps, message) for message, steps in by_message.items()]


def _first_line(message: str | None) -> str:
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    return lines[0] if lines else "no message"
