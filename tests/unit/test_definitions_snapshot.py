"""The Dagster definitions, snapshotted: a change to the asset graph, its checks, partitions, schedules or sensors
fails this test until the snapshot is rewritten on purpose:

    WELLBEING_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/unit/test_definitions_snapshot.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.definitions import defs

SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "definitions.json"


def describe() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitions": str(node.partitions_def) if node.partitions_def else None,
            "checks": sorted(c.name for c in node.check_keys),
        }
    schedules = {s.name: {"job": s.job_name, "cron": s.cron_schedule, "timezone": s.execution_timezone,
                          "default": s.default_status.value} for s in defs.schedules or []}
    sensors = {s.name: {"jobs": sorted(j.name for j in s.jobs), "interval": s.minimum_interval_seconds,
                        "default": s.default_status.value} for s in defs.sensors or []}
    jobs = {j.name: {"partitions": str(defs.resolve_job_def(j.name).partitions_def or "") or None}
            for j in defs.jobs or []}
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_the_definitions_match_their_snapshot():
    current = describe()
    if os.environ.get("WELLBEING_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert SNAPSHOT.exists(), f"no snapshot yet: run with WELLBEING_UPDATE_SNAPSHOT=1 to write {SNAPSHOT}"
    expected = json.loads(SNAPSHOT.read_text())
    for section in ("jobs", "schedules", "sensors"):
        assert current[section] == expected[section], section
    added = sorted(set(current["assets"]) - set(expected["assets"]))
    removed = sorted(set(expected["assets"]) - set(current["assets"]))
    changed = sorted(k for k in set(current["assets"]) & set(expected["assets"])
                     if current["assets"][k] != expected["assets"][k])
    assert not (added or removed or changed), f"assets added {added}, removed {removed}, changed {changed}"
