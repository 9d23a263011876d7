"""What the last successful dbt build was built from, so that the next build rebuilds only what changed.

A successful build records a fingerprint of each dbt source (a raw table: its row count and the sum of its rows'
hashes, one scan, which the raw gate of the same run has already made) and of the dbt project (its files and the dbt
and DuckDB versions). The next build rebuilds, with their tests, the models and seeds downstream of a source whose
rows changed, and every mart; the others, every input of which is as it was, keep their tables. A re-sent month of
organisation sickness rebuilds the sickness models and the marts, not the staff-in-post and survey models over tens
of millions of rows.

Four models over tens of millions of record-level rows are incremental by month. A source says which date column
places its rows in time (`config: {meta: {changes_months_from: <column>}}` in its dbt source YAML): its fingerprint
is kept for each month of that column too, and an incremental model downstream of it rebuilds only the months
from the earliest one whose rows changed (dbt/macros/rebuilt_months.sql): a new month rebuilds that month. A
changed source that says no such thing rebuilds every month of the incremental models downstream of it.

Any doubt rebuilds everything, incremental models from scratch (dbt's --full-refresh): no recorded state (the first
build; the last build failed, was cut short or built only some nodes: the state is forgotten before each build and
recorded again only when a build of the whole project succeeds), another project or version, or
`WELLBEING_FULL_BUILD=1`. The fingerprints are of the raw rows themselves, so a raw table changed by hand is
rebuilt from too; a dbt table changed by hand (or built by hand with other vars) is not noticed: build once with
`WELLBEING_FULL_BUILD=1`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb

from expectations.raw import FINGERPRINTS as GATE_FINGERPRINTS
from expectations.raw import ROWS_HASHED, month_of

from .settings import DBT_DIR

FULL_BUILD_ENV = "WELLBEING_FULL_BUILD"
STATE_TABLE = "landing.dbt_build_state"  # bookkeeping, not a dbt source
PROJECT = "(project)"
PROJECT_SUFFIXES = {".sql", ".py", ".yml", ".yaml", ".csv", ".md", ".jinja", ".txt"}
NOT_PROJECT = {"target", "logs", "dbt_packages"}  # dbt's output and downloads, at the project's top level
MONTHS_FROM = "changes_months_from"  # dbt source meta: the date column whose month a row changes models from


@dataclass(frozen=True)
class Plan:
    """A build about to run: the state of its inputs, and the nodes it leaves as they are."""

    state: dict[str, str]
    full: bool  # nothing to build on: every table is made again, incremental ones from scratch
    unchanged: list[str]  # models, seeds and data tests
    kept_models: list[str]
    rebuild_from: dict[str, str | None]  # incremental model -> the first month it rebuilds (None: every month)


def begin(con: duckdb.DuckDBPyConnection, manifest: dict, whole: bool, run: str | None = None) -> Plan:
    """Fingerprint the build's inputs, compare them with the last successful build's, and forget that build's
    state (until this build succeeds, the tables may hold anything). `manifest`: the last build's, whose graph is
    this build's when the project is unchanged. `whole`: the build runs every node of the project (a run of some
    of them builds what it was asked to, and leaves no state). `run`: the pipeline run building, whose raw gate
    may have fingerprinted the raw tables already."""
    state = fingerprints(con, source_months(manifest), run)
    before = recorded(con)
    full = not (whole and builds_on(before, state))
    unchanged = [] if full else unchanged_nodes(manifest, before, state)
    forget(con)
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    return Plan(state, full, unchanged, [name for name in unchanged if name in models],
                {} if full else rebuild_from(manifest, before, state))


def project_fingerprint(project_dir: Path = DBT_DIR) -> str:
    """Every file of the dbt project that shapes a build, and the versions that run it."""
    digest = hashlib.sha256()
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        digest.update(f"{package} {version(package)}\n".encode())
    for path in sorted(p for p in project_dir.rglob("*") if p.suffix in PROJECT_SUFFIXES and p.is_file()
                       and p.relative_to(project_dir).parts[0] not in NOT_PROJECT):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprints(con: duckdb.DuckDBPyConnection, sources: dict[str, str | None], run: str | None = None
                 ) -> dict[str, str]:
    """The project's fingerprint and each source's (schema.table -> its months column, or None): rows and the sum
    of their hashes, for the whole table and, with a months column, for each month of it (`<source>@<month>`).
    Those the raw gate of the same `run` took by the same months column are taken as they are: nothing but that
    gate ran on the raw tables since (expectations/raw.py, `keep_fingerprints`)."""
    state = {PROJECT: project_fingerprint()}
    taken = _taken_by_gate(con, run)
    for source, column in sources.items():
        if (source, column) in taken:
            months = taken[source, column]
        else:
            months = con.execute(f"select {month_of(column)}, count(*), {ROWS_HASHED} from {source} group by 1"
                                 ).fetchall()
        if column:
            state |= {f"{source}@{first_day}": f"{rows}:{total}" for first_day, rows, total in months}
        state[source] = f"{sum(m[1] for m in months)}:{sum(m[2] for m in months)}"
    return state


def _taken_by_gate(con: duckdb.DuckDBPyConnection, run: str | None) -> dict[tuple[str, str | None], list[tuple]]:
    if run is None:
        return {}
    try:
        rows = con.execute(f"select relation, months, month, rows, fingerprint from {GATE_FINGERPRINTS} where run = ?",
                           [run]).fetchall()
    except duckdb.CatalogException:  # no gate has kept any
        return {}
    taken: dict[tuple[str, str | None], list[tuple]] = {}
    for relation, column, *month in rows:
        taken.setdefault((relation, column), []).append(tuple(month))
    return taken


def recorded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The state the last successful build recorded (empty when there is none)."""
    try:
        return dict(con.execute(f"select name, fingerprint from {STATE_TABLE}").fetchall())
    except duckdb.CatalogException:  # no build has run yet
        return {}


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Before a build: until it succeeds, the tables may hold anything, so the next build rebuilds them all."""
    _ensure(con)
    con.execute(f"delete from {STATE_TABLE}")


def record(con: duckdb.DuckDBPyConnection, state: dict[str, str]) -> None:
    """After a successful build of the whole project (the state was forgotten as it began)."""
    _ensure(con)
    con.executemany(f"insert into {STATE_TABLE} values (?, ?)", list(state.items()))


def full_build_asked() -> bool:
    """`WELLBEING_FULL_BUILD=1`: rebuild every table, and let the raw gate check every row."""
    return os.environ.get(FULL_BUILD_ENV) == "1"


def builds_on(before: dict[str, str], now: dict[str, str]) -> bool:
    """Whether a build may keep what the last one made: there is one, of the same project, and no full build is
    asked for."""
    return not full_build_asked() and bool(before) and before.get(PROJECT) == now.get(PROJECT)


def unchanged_nodes(manifest: dict, before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The models, seeds and data tests whose inputs are all as the last successful build found them (none when a
    full build is due). A node changes with any source upstream of it whose fingerprint changed, and with a mart
    upstream of it (a test of a mart)."""
    if not builds_on(before, now):
        return []
    changed = _changed_sources(manifest, before, now)
    # the marts are always rebuilt (from the tables kept: seconds at national scale), so that every run builds,
    # tests, gates and publishes every published table
    changed |= {uid for uid, node in manifest["nodes"].items() if node["fqn"][1:2] == ["marts"]}
    return sorted(node["name"] for uid, node in manifest["nodes"].items()
                  if node["resource_type"] in ("model", "seed", "test")
                  and not ({uid} | _upstream(uid, manifest["parent_map"])) & changed)


def rebuild_from(manifest: dict, before: dict[str, str], now: dict[str, str]) -> dict[str, str | None]:
    """For each incremental model downstream of a changed source: the first month it rebuilds, the earliest month
    whose rows changed in any of those sources (None, every month, when one of them keeps no months)."""
    changed = _changed_sources(manifest, before, now)
    parents = manifest["parent_map"]
    firsts = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["config"].get("materialized") != "incremental":
            continue
        upstream = _upstream(uid, parents) & changed
        if upstream:
            months = [_first_changed_month(manifest["sources"][s], before, now) for s in sorted(upstream)]
            firsts[node["name"]] = None if None in months else min(months)
    return firsts


def source_months(manifest: dict) -> dict[str, str | None]:
    """Every source relation, with the column whose month its rows change models from (None if it has none)."""
    return {_relation(source): source.get("meta", {}).get(MONTHS_FROM)
            for source in sorted(manifest["sources"].values(), key=_relation)}


def _changed_sources(manifest: dict, before: dict[str, str], now: dict[str, str]) -> set[str]:
    return {uid for uid, source in manifest["sources"].items()
            if before.get(_relation(source)) != now.get(_relation(source))}


def _first_changed_month(source: dict, before: dict[str, str], now: dict[str, str]) -> str | None:
    prefix = _relation(source) + "@"
    months = sorted(key.removeprefix(prefix) for key in before.keys() | now.keys()
                    if key.startswith(prefix) and before.get(key) != now.get(key))
    # no month kept (no months column), or rows without a date: every month
    return None if not months or "None" in months else months[0]


def _upstream(uid: str, parents: dict[str, list[str]]) -> set[str]:
    seen, stack = set(), [uid]
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _relation(source: dict) -> str:
    return f"{source['schema']}.{source['identifier']}"


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists landing")
    con.execute(f"create table if not exists {STATE_TABLE} (name VARCHAR, fingerprint VARCHAR)")
