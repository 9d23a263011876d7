"""Landing: take each file once, load it once, keep exactly what was loaded, and undo a load on request.

    landing/ --ready_files--> route: a private staging copy, hashed and checked in the same read, classified by
    its header once --> staging/<family>/ --load--> raw.<table> (one transaction a file, or a group of new files
    of one format) --> archive/<load id>...
                                   \\--> quarantine/<load id>... with a .reason.txt naming the file, row and column

- A file is taken only when stable: unchanged for the settle interval (WELLBEING_SETTLE_SECONDS, default 5).
  A file that changes while it is copied stays in landing for the next run; nothing is lost.
- The staging copy is what is parsed, loaded and archived: the archive holds exactly the bytes loaded and the
  SHA-256 recorded in raw.load_log is theirs. Stored names derive from the load id, so a name of any length
  is safe; each archived file has a .json sidecar, from which `rebuild` replays the loads in order.
- A file whose bytes equal the latest load of a file name still in force is a duplicate. A corrected file
  under the same name supersedes the earlier loads' rows for its periods and organisations; superseded rows
  are kept aside in landing.superseded_<table>, so `retract` can remove a load and bring back what it replaced.
- Hidden files, links and files still being written are logged in raw.load_log on every run they are seen.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from .keys import record_fingerprint
from .settings import Home
from .sources import FORMATS, ROW, Format, RejectedFile, recognise
from .sources.base import duplicate_key_message
from .sources.contract import raw_schema
from .sources.registry import Extract, copy_and_scan, load_note, read_batches, read_together, sniff_columns

READ_AHEAD_BYTES = 128 << 20  # files up to this size are read whole, ahead of their load (a month's largest
# staff-in-post extract is about 115 MB; larger files are read in batches inside their load, their memory bounded)
GROUP_BYTES_ENV = "WELLBEING_LOAD_GROUP_BYTES"
DEFAULT_GROUP_BYTES = 32 << 20  # new files of one format are read and loaded together, at most this many bytes
BATCH_ROWS_ENV = "WELLBEING_LOAD_BATCH_ROWS"
DEFAULT_BATCH_ROWS = 500_000
SETTLE_ENV = "WELLBEING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 5.0
BY_NAME = {f.name: f for f in FORMATS}
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
HELD = "held_load"  # a temporary table: what the in-load checks read of the load being checked


@dataclass(frozen=True)
class LoadResult:
    file: str
    sha256: str | None
    format: str | None
    family: str | None
    outcome: str  # loaded | duplicate | rejected | waiting | skipped | retracted
    rows_read: int = 0
    rows_loaded: int = 0
    rows_superseded: int = 0
    message: str = ""
    load_id: str | None = None
    stored_as: str | None = None  # where the bytes are kept, relative to the home (archive/ or quarantine/)

    @property
    def table(self) -> str | None:
        return BY_NAME[self.format].table if self.format in BY_NAME else None


@dataclass(frozen=True)
class Staged:
    """A file taken from landing: its private copy and what is known of it. Persisted as a .json sidecar."""

    load_id: str
    file_name: str
    sha256: str
    size: int
    data: str  # the copy, relative to the home
    utf8: bool
    nul_row: int | None
    received_at: str
    format: str | None = None
    family: str | None = None
    record_level: bool = False

    def extract(self, home: Home) -> Extract:
        return Extract(home.root / self.data, self.file_name, self.utf8, self.nul_row)


@dataclass(frozen=True)
class LandingScan:
    ready: list[Path]
    waiting: list[Path]  # changed within the settle interval
    skipped: list[tuple[Path, str]]  # never taken, with why


# ---------------------------------------------------------------------------------------------- folders and tables

def staging_dir(home: Home) -> Path:
    return home.root / "staging"


def private_dir(folder: Path) -> Path:
    """A folder only its owner can enter (archive, quarantine and staging hold clear record-level extracts)."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    folder.chmod(PRIVATE_DIR)
    return folder


class RawSchemaOutdated(RuntimeError):
    """A raw table holds columns of another shape than this release stores: the warehouse needs a rebuild."""


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, formats: tuple[Format, ...] = FORMATS) -> None:
    """Every raw table exists (empty until a file arrives), so dbt sources always resolve; superseded rows have
    a table aside for each, in schema `landing`. A column added to a format since the table was made is added to
    it; a table whose columns this release stores otherwise (a warehouse of an earlier release) stops the load
    before anything changes."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists landing")
    con.execute("""
        create table if not exists raw.load_log (
            load_id VARCHAR, file_name VARCHAR, sha256 VARCHAR, format VARCHAR, family VARCHAR,
            outcome VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_superseded BIGINT,
            message VARCHAR, archived_as VARCHAR, logged_at TIMESTAMP)""")
    existing: dict[str, dict[str, str]] = {}
    for table, column, dtype in con.execute("""
            select table_schema || '.' || table_name, column_name, data_type from information_schema.columns
            where table_catalog = current_database() and table_schema in ('raw', 'landing')""").fetchall():
        existing.setdefault(table, {})[column] = dtype
    for fmt in formats:
        schema = raw_schema(fmt)
        for table, extra in ((f"raw.{fmt.table}", {}), (f"landing.superseded_{fmt.table}", {"_superseded_by": "VARCHAR"})):
            wanted, found = {**schema, **extra}, existing.get(table)
            if found is None:
                cols = ", ".join(f'"{name}" {dtype}' for name, dtype in wanted.items())
                con.execute(f"create table {table} ({cols})")
                continue
            differ = sorted(c for c in found if wanted.get(c) != found[c])  # another type, or no format's
            if differ:
                raise RawSchemaOutdated(
                    f"{table} was made by an earlier release: its column {differ[0]} is {found[differ[0]]}, this "
                    f"release stores {wanted.get(differ[0], 'no such column')}; nothing was loaded. Rebuild the "
                    "warehouse from archive/ with `wellbeing rebuild`.")
            for name in (c for c in wanted if c not in found):  # a column added to the format since
                con.execute(f'alter table {table} add column "{name}" {wanted[name]}')


def configured_group_bytes() -> int:
    """Bytes of new files of one format read and loaded together: bounds a group's memory (0: each file alone)."""
    return int(os.environ.get(GROUP_BYTES_ENV, DEFAULT_GROUP_BYTES))


def configured_batch_rows() -> int:
    """Rows read, typed and inserted at a time: bounds the loader's memory whatever the file's size."""
    return int(os.environ.get(BATCH_ROWS_ENV, DEFAULT_BATCH_ROWS))


def configured_settle_seconds() -> float:
    return float(os.environ.get(SETTLE_ENV, DEFAULT_SETTLE_SECONDS))


# ------------------------------------------------------------------------------------------------ which files

def ready_files(home: Home, now: float, settle: float | None = None) -> LandingScan:
    """Which landing files may be taken at time `now` (seconds since the epoch): those not modified for `settle`
    seconds. Reads the folder only (for the landing sensor and the router alike)."""
    settle = configured_settle_seconds() if settle is None else settle
    ready, waiting, skipped = [], [], []
    if not home.landing.is_dir():
        return LandingScan(ready, waiting, skipped)
    for path in sorted(home.landing.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(home.landing).parts)
        if path.is_symlink():
            skipped.append((path, "a symbolic link: not followed; copy the file itself into landing"))
        elif path.is_dir():
            continue
        elif hidden:
            skipped.append((path, "a hidden file (a name starting with '.'): not loaded; rename it to load it"))
        elif not path.is_file():
            skipped.append((path, "not a regular file"))
        elif now - path.stat().st_mtime < settle:
            waiting.append(path)
        else:
            ready.append(path)
    return LandingScan(ready, waiting, skipped)


def needs_pseudonym_key(home: Home) -> bool:
    """Whether a record-level extract waits in landing or staging (the CLI asks before any step runs)."""
    for entry in _staged(home):
        if entry.record_level:
            return True
    for path in ready_files(home, time.time(), settle=0).ready:
        try:
            if recognise(sniff_columns(path), path.name).record_level:
                return True
        except RejectedFile:
            continue
    return False


# ---------------------------------------------------------------------------------------------------- routing

def route(con: duckdb.DuckDBPyConnection, home: Home, now: float | None = None,
          settle: float | None = None) -> list[LoadResult]:
    """Take every stable landing file once: copy it privately while hashing it, recognise its format from the
    header, and hand it to its family's staging folder. Returns what it did not stage: files rejected here
    (unreadable, unrecognised), files still being written, files skipped. Waits once, at most the settle
    interval, for files written just before the run."""
    ensure_raw_tables(con)
    settle = configured_settle_seconds() if settle is None else settle
    scan = ready_files(home, time.time() if now is None else now, settle)
    if scan.waiting and now is None:
        youngest = max(p.stat().st_mtime for p in scan.waiting if p.exists())
        time.sleep(max(0.0, min(settle, youngest + settle - time.time())))
        scan = ready_files(home, time.time(), settle)
    results = [_log(con, LoadResult(str(p.relative_to(home.landing)), None, None, None, "skipped",
                                    message=f"{p.name}: {why}")) for p, why in scan.skipped]
    results += [_log(con, LoadResult(str(p.relative_to(home.landing)), None, None, None, "waiting",
                                     message=f"{p.name}: still being written (changed within the last {settle:g} s); "
                                             "left in landing for the next run")) for p in scan.waiting]
    for path in scan.ready:
        outcome = take(con, home, path)
        if isinstance(outcome, LoadResult):
            results.append(outcome)
    return results


def take(con: duckdb.DuckDBPyConnection, home: Home, path: Path) -> Staged | LoadResult:
    """One landing file into staging (or quarantine, when its header is unreadable or unknown)."""
    staged = stage(home, path)
    if staged is None:
        return _log(con, LoadResult(path.name, None, None, None, "waiting",
                                    message=f"{path.name}: changed while it was copied; left in landing for the next run"))
    try:
        fmt = recognise(sniff_columns(staged.extract(home)), staged.file_name)
    except RejectedFile as err:
        return _reject(con, home, staged, None, err)
    staged = replace(staged, format=fmt.name, family=fmt.family, record_level=fmt.record_level)
    target = private_dir(staging_dir(home) / fmt.family) / Path(staged.data).name
    os.replace(home.root / staged.data, target)
    staged = replace(staged, data=_relative(home, target))
    _write_json(target.with_name(staged.load_id + ".json"), asdict(staged))
    (staging_dir(home) / f"{staged.load_id}.json").unlink(missing_ok=True)
    return staged


def stage(home: Home, path: Path) -> Staged | None:
    """A private copy of a landing file, made in one read that hashes it and checks its bytes; the landing file
    is removed once copied. None (and no copy) when the file changed while being copied."""
    before = path.stat()
    received = datetime.now(UTC).replace(tzinfo=None)
    folder = private_dir(staging_dir(home))
    provisional = folder / f"incoming-{os.getpid()}-{time.monotonic_ns()}"
    sha, size, extract = copy_and_scan(path, provisional)
    after = path.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or size != after.st_size:
        provisional.unlink()
        return None
    load_id = f"{received:%Y%m%dT%H%M%S%f}-{sha[:8]}"
    data = folder / (load_id + _safe_suffix(path.name))
    os.replace(provisional, data)
    staged = Staged(load_id, path.name, sha, size, _relative(home, data), bool(extract.utf8), extract.nul_row,
                    received.isoformat())
    _write_json(folder / f"{load_id}.json", asdict(staged))
    path.unlink()
    return staged


# ---------------------------------------------------------------------------------------------------- loading

def ingest(con: duckdb.DuckDBPyConnection, home: Home, family: str, key: bytes | None = None,
           batch_rows: int | None = None) -> list[LoadResult]:
    """Load every file the router staged for one source family, in the order they arrived, new files of one format
    together (`_groups`). A group's files are read, typed and pseudonymised in a second thread while the group
    before it is checked and committed (the two halves of the work then share the machine's cores)."""
    ensure_raw_tables(con)
    entries = _staged(home, family)
    if key is not None and any(entry.record_level for entry in entries):
        record_fingerprint(con, key)  # once, before the loads that use it
    rows = batch_rows or configured_batch_rows()
    groups = _groups(entries, _logged(con, entries))
    results = []
    with ThreadPoolExecutor(max_workers=1) as reader:
        ahead = reader.submit(_read_group, home, groups[0], key, rows) if groups else None
        for i, group in enumerate(groups):
            reads = ahead.result()
            ahead = reader.submit(_read_group, home, groups[i + 1], key, rows) if i + 1 < len(groups) else None
            results += _load_group(con, home, group, reads, key, batch_rows)
    return results


# what was read of a staged file ahead of its load: its format and rows, what reading it raised (raised again as
# its load begins), or None for a large file, read in batches inside its load
Read = tuple[Format, list[pl.DataFrame]] | Exception | None


def _read_group(home: Home, group: list[Staged], key: bytes | None, batch_rows: int) -> list[Read]:
    """A group's files, read together where they can be (`read_together`), else one by one."""
    together = None
    if len(group) > 1:
        try:
            together = read_together([entry.extract(home) for entry in group], key)
        except Exception:  # noqa: BLE001 - each file read alone then raises what is wrong, with the file it is in
            together = None
    fmt, frames = together or (None, [None] * len(group))
    return [(fmt, [frame]) if frame is not None else _read_whole(home, entry, key, batch_rows) if _small(entry)
            else None for entry, frame in zip(group, frames, strict=True)]


def _read_whole(home: Home, entry: Staged, key: bytes | None, batch_rows: int) -> Read:
    try:
        fmt, batches = read_batches(entry.extract(home), key, batch_rows)
        return fmt, list(batches)  # a list: a group's rows may be loaded again, file by file
    except Exception as err:  # noqa: BLE001 - raised again where the file's load begins, as reading it then would
        return err


def _logged(con, entries: list[Staged]) -> tuple[set[str], set[str], set[str]]:
    """The load ids, file names and contents (SHA-256) of `entries` that raw.load_log holds a row of, whatever its
    outcome."""
    rows = con.execute("""
        select load_id, file_name, sha256 from raw.load_log
        where load_id in (select unnest($ids)) or file_name in (select unnest($names))
           or sha256 in (select unnest($shas))""", {
        "ids": [e.load_id for e in entries], "names": [e.file_name for e in entries],
        "shas": [e.sha256 for e in entries]}).fetchall()
    return {r[0] for r in rows}, {r[1] for r in rows}, {r[2] for r in rows}


def _groups(entries: list[Staged], logged: tuple[set[str], set[str], set[str]]) -> list[list[Staged]]:
    """The staged files in arrival order, cut into groups that each load in one transaction (a month arrives as
    hundreds of per-organisation files: one commit and one pass of the table-wide checks then serve many). A group
    holds consecutive files of one format, each read whole, together at most `configured_group_bytes`, with a name
    and contents that no load logged and no file before it in the queue has. Any other file is a group of its own:
    a resend, a duplicate, a load a crash cut short, a large file."""
    ids, names, shas = (set(known) for known in logged)
    most = configured_group_bytes()
    groups: list[list[Staged]] = []
    size, open_group = 0, False
    for entry in entries:
        plain = (_small(entry) and entry.load_id not in ids and entry.file_name not in names
                 and entry.sha256 not in shas)
        names.add(entry.file_name)
        shas.add(entry.sha256)
        if plain and open_group and groups[-1][0].format == entry.format and 0 < most and size + entry.size <= most:
            groups[-1].append(entry)
            size += entry.size
        else:
            groups.append([entry])
            size, open_group = entry.size, plain
    return groups


def _load_group(con, home: Home, entries: list[Staged], reads: list[Read], key: bytes | None,
                batch_rows: int | None) -> list[LoadResult]:
    """A group's files in one transaction. A file that could not be read is loaded on its own (quarantined, when
    rejected), the files around it as groups. When a file is rejected in the load, the group is halved until that
    file loads alone (named, quarantined, the rest loaded as if each had loaded alone). Every group that commits
    passed the checks each of its files would have passed in turn: none of them was known before (`_groups`), and
    the group's key checks span all its rows, stricter than one file's (a key repeated in another organisation's
    file of the group, which alone would load, sends the group down to single files)."""
    if not entries:
        return []
    if len(entries) == 1:
        return [load_staged(con, home, entries[0], key, batch_rows, read=reads[0])]
    unread = [i for i, read in enumerate(reads) if isinstance(read, Exception)]
    if unread:
        results, start = [], 0
        for i in unread:
            results += _load_group(con, home, entries[start:i], reads[start:i], key, batch_rows)
            results.append(load_staged(con, home, entries[i], key, batch_rows, read=reads[i]))
            start = i + 1
        return results + _load_group(con, home, entries[start:], reads[start:], key, batch_rows)
    try:
        return _commit(con, home, entries, reads, key, batch_rows)
    except Exception:  # a rejection, or an error one file's own load would meet after the loads before it
        half = len(entries) // 2
        return (_load_group(con, home, entries[:half], reads[:half], key, batch_rows)
                + _load_group(con, home, entries[half:], reads[half:], key, batch_rows))


def record_level_staged(home: Home, family: str) -> bool:
    """Whether a record-level file of `family` waits in staging (only those need the pseudonymisation key)."""
    return any(entry.record_level and entry.family == family for entry in _staged(home))


def staged_families(home: Home) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in _staged(home):
        counts[entry.family] = counts.get(entry.family, 0) + 1
    return counts


def load_file(con: duckdb.DuckDBPyConnection, home: Home, path: Path, key: bytes | None = None,
              batch_rows: int | None = None) -> LoadResult:
    """Take one landing file now and load it (routing and loading in one call)."""
    ensure_raw_tables(con)
    staged = take(con, home, path)
    if isinstance(staged, LoadResult):
        return staged
    if key is not None and staged.record_level:
        record_fingerprint(con, key)
    return load_staged(con, home, staged, key, batch_rows)


def load_staged(con: duckdb.DuckDBPyConnection, home: Home, entry: Staged, key: bytes | None = None,
                batch_rows: int | None = None, loaded_at: datetime | None = None,
                replaying: bool = False, read: Read = None) -> LoadResult:
    """Load one staged file in one transaction (`_commit`), or log it as a duplicate, or quarantine it with the
    reason. `replaying`: the entry is an archived load being rebuilt (its bytes stay where they are). `read`: what
    was read of the file already (`_read_group`), whose errors surface here as they would from reading it now. The
    caller has recorded the key's fingerprint (`record_fingerprint`: ingest, load_file and rebuild do, once) before
    loading a record-level file."""
    fmt = BY_NAME[entry.format]
    logged, current, resent = _history(con, entry)
    if logged:  # committed before a crash cut the run short: only the staging copy is left to clear
        _unstage(home, entry)
        return LoadResult(entry.file_name, entry.sha256, fmt.name, fmt.family, logged["outcome"],
                          logged["rows_loaded"], logged["rows_loaded"], logged["rows_superseded"], logged["message"],
                          entry.load_id, logged["archived_as"])
    if current:
        result = LoadResult(entry.file_name, entry.sha256, fmt.name, fmt.family, "duplicate",
                            message=f"{entry.file_name}: identical content already loaded; archived, not loaded again",
                            load_id=entry.load_id)
        stored = _archive(home, entry, result)
        _unstage(home, entry)
        return _log(con, replace(result, stored_as=stored))
    try:
        [result] = _commit(con, home, [entry], [read], key, batch_rows, loaded_at, replaying, resent)
    except RejectedFile as err:
        if replaying:
            return _log(con, LoadResult(entry.file_name, entry.sha256, fmt.name, fmt.family, "rejected",
                                        message=str(err), load_id=entry.load_id, stored_as=entry.data))
        return _reject(con, home, entry, fmt, err)
    return result


def _commit(con, home: Home, entries: list[Staged], reads: list[Read], key: bytes | None,
            batch_rows: int | None, loaded_at: datetime | None = None, replaying: bool = False,
            resent: bool = False) -> list[LoadResult]:
    """Files of one format loaded in one transaction: their rows, then the checks that span the files and the table
    (a key twice among them, or in force from another load, rejects them all); each file's bytes archived and its
    load logged before the commit. On any error: rolled back, the archive copies removed, the error raised.
    `resent`: the one file is a resend, superseding the earlier loads of its name."""
    assert not resent or len(entries) == 1, "only a file loaded alone supersedes"
    loaded_at = loaded_at or datetime.now(UTC).replace(tzinfo=None)
    first = entries[0]  # the file a check names (a group's rejection is reported by the file's own load)
    stored: list[str] = []
    con.execute("begin transaction")
    try:
        # small files' rows stay in memory while the checks read their key columns held, then go into the raw table
        # together, an insert per batch of rows (an insert costs milliseconds however few its rows); a large file
        # (always alone) waits whole in the held table, its batches not kept, then moves into the raw table
        whole_rows = not _small(first)
        loads, stamped = [], []
        for entry, read in zip(entries, reads, strict=True):
            if isinstance(read, Exception):
                raise read
            fmt, batches = read or read_batches(entry.extract(home), key, batch_rows or configured_batch_rows())
            if not loads:
                _hold(con, fmt, whole_rows=whole_rows)
            rows, note = 0, ""
            for df in batches:
                note = note or load_note(fmt, df)
                rows += df.height
                if whole_rows:
                    _insert(con, HELD, _stamped(df, entry, loaded_at))
                else:
                    stamped.append(_stamped(df, entry, loaded_at))
            loads.append((entry, rows, note))
        # by name: a file without an optional column has it typed as nulls, after the others
        kept = pl.concat(stamped, how="diagonal") if stamped else None
        if kept is not None:
            _insert(con, HELD, kept.select(_held_columns(fmt)))
        _check_unique_in_load(con, fmt, first.file_name)
        superseded = _supersede(con, fmt, first.load_id, first.file_name, loaded_at) if resent else 0
        # the held rows are in no raw table yet: which load the check leaves out matters only to `retract`
        _check_not_loaded_elsewhere(con, fmt, first.load_id, first.file_name)
        if whole_rows:
            con.execute(f"insert into raw.{fmt.table} select * from {HELD}")
        elif kept is not None:
            for part in kept.iter_slices(batch_rows or configured_batch_rows()):  # memory: one batch's copy at a time
                _insert(con, f"raw.{fmt.table}", part)
        con.execute(f"drop table {HELD}")
        results = []
        for entry, rows, note in loads:
            result = LoadResult(entry.file_name, entry.sha256, fmt.name, fmt.family, "loaded", rows, rows, superseded,
                                f"{entry.file_name}: loaded {rows} rows into raw.{fmt.table}" + note
                                + (f"; superseded {superseded} rows of an earlier load of {entry.file_name}"
                                   if superseded else ""), entry.load_id)
            stored.append(entry.data if replaying else _archive(home, entry, result, loaded_at))
            results.append(replace(result, stored_as=stored[-1]))
        _log(con, *results)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        if not replaying:
            for path in stored:
                _unarchive(home, path)
        raise
    if not replaying:
        for entry in entries:
            _unstage(home, entry)
    return results


def _history(con, entry: Staged) -> tuple[dict | None, bool, bool]:
    """What raw.load_log knows of a staged file: the outcome logged under its load id (None unless a crash cut the
    run short after its commit); whether its bytes are those of the latest load still in force under some file name
    (a duplicate, not a resend after a correction); whether a load of its file name is in force (most names are
    new: nothing of theirs to supersede). One query fetches the few rows that can tell (a new file's: none)."""
    rows = con.execute("""
        select load_id, file_name, sha256, outcome, rows_loaded, rows_superseded, message, archived_as, logged_at
        from raw.load_log
        where load_id = $load_id or (outcome = 'loaded' and (file_name = $file_name or file_name in (
            select file_name from raw.load_log where sha256 = $sha256)))""",
                       {"load_id": entry.load_id, "sha256": entry.sha256, "file_name": entry.file_name}).fetchall()
    fields = ("load_id", "file_name", "sha256", "outcome", "rows_loaded", "rows_superseded", "message", "archived_as",
              "logged_at")
    rows = [dict(zip(fields, row, strict=True)) for row in rows]
    logged = next((r for r in rows if r["load_id"] == entry.load_id), None)
    loads = [r for r in rows if r["outcome"] == "loaded"]
    latest = {name: max(r["logged_at"] for r in loads if r["file_name"] == name) for name in {r["file_name"] for r in loads}}
    current = any(r["sha256"] == entry.sha256 and r["logged_at"] == latest[r["file_name"]] for r in loads)
    return logged, current, entry.file_name in latest


def _small(entry: Staged) -> bool:
    """A file read whole (and ahead of its load); a larger one is read in batches, its memory bounded."""
    return entry.size <= READ_AHEAD_BYTES


def _held_columns(fmt: Format) -> tuple[str, ...]:
    """What the in-load checks read: each row's line, key, period and organisation."""
    return tuple(dict.fromkeys(c for c in (ROW, *fmt.key, fmt.period, fmt.org) if c))


def _hold(con, fmt: Format, load_id: str | None = None, whole_rows: bool = False) -> None:
    """The temporary table the checks read a load from, before its rows join the raw table (the clash check reads
    the committed rows of the load's organisations: with the load's own rows not yet committed in the raw table,
    that read took 23 s instead of 0.5 s over the national absence files): empty, to receive a file's batches
    (`whole_rows`: every column, for a file whose batches are not kept), or a load already in force."""
    where, params = ("where _load_id = ?", [load_id]) if load_id else ("limit 0", [])
    columns = "*" if whole_rows else ", ".join(f'"{c}"' for c in _held_columns(fmt))
    con.execute(f"create or replace temp table {HELD} as select {columns} from raw.{fmt.table} {where}", params)


def _stamped(df: pl.DataFrame, entry: Staged, loaded_at: datetime) -> pl.DataFrame:
    """A batch with the load's provenance columns."""
    return df.with_columns(pl.lit(entry.load_id).alias("_load_id"), pl.lit(entry.file_name).alias("_source_file"),
                           pl.lit(entry.sha256).alias("_source_sha256"), pl.lit(loaded_at).alias("_loaded_at"))


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("batch", df.to_arrow())
    con.execute(f"insert into {table} by name select * from batch")
    con.unregister("batch")


def _same_key(fmt: Format, a: str, b: str) -> str:
    return " and ".join(f'{a}."{k}" is not distinct from {b}."{k}"' for k in fmt.key)


def _check_unique_in_load(con, fmt: Format, name: str) -> None:
    """The file's grain holds across all its batches: the second row with a key already seen is named."""
    keys = ", ".join(f'"{k}"' for k in fmt.key)
    # counting first: collecting every key's row numbers is costly on a large file and almost never needed
    if not con.execute(f"select 1 from {HELD} group by {keys} having count(*) > 1 limit 1").fetchone():
        return
    dup = con.execute(f"""
        select {keys}, list_sort(list({ROW}))[2] as second_row from {HELD}
        group by all having count(*) > 1 order by second_row limit 1""").fetchone()
    if dup:
        raise RejectedFile(name, duplicate_key_message(fmt, dict(zip(fmt.key, dup, strict=False))), dup[-1], fmt.key[-1])


def _period(fmt: Format, alias: str) -> str:
    """Dated periods supersede by month (a monthly extract's rows carry many different dates)."""
    column = f'{alias}."{fmt.period}"'
    dtype = dict(fmt.stored)[fmt.period]
    return f"date_trunc('month', {column})" if dtype in (pl.Date, pl.Datetime) else column


def _covered(fmt: Format) -> str:
    """Rows `t` whose periods and organisations the held load covers (all of them when the format has neither)."""
    parts = [(_period(fmt, "n"), _period(fmt, "t"))] if fmt.period else []
    parts += [(f'n."{fmt.org}"', f't."{fmt.org}"')] if fmt.org else []
    if not parts:
        return "true"
    inner = ", ".join(n for n, _ in parts)
    outer = ", ".join(t for _, t in parts)
    return f"({outer}) in (select distinct {inner} from {HELD} n)"


def _supersede(con, fmt: Format, load_id: str, name: str, loaded_at: datetime) -> int:
    """A corrected file with the same name (its rows held) replaces the earlier loads' rows for its periods and
    organisations; the replaced rows move aside (landing.superseded_<table>), marked with the load that replaced
    them."""
    earlier = f"t._source_file = ? and t._load_id <> ? and t._loaded_at < ? and {_covered(fmt)}"
    params = [name, load_id, loaded_at]
    con.execute(f"insert into landing.superseded_{fmt.table} by name "
                f"select t.*, ? as _superseded_by from raw.{fmt.table} t where {earlier}", [load_id, *params]).fetchone()
    return con.execute(f"delete from raw.{fmt.table} t where {earlier}", params).fetchone()[0]


def _check_not_loaded_elsewhere(con, fmt: Format, load_id: str, name: str) -> None:
    """No key of the held load is in force from another load (only rows of the load's organisations, and of its
    periods where the key holds the period, are looked at)."""
    narrowing = [f'"{c}"' for c in (fmt.org, fmt.period if fmt.period in fmt.key else None) if c]
    nearby = " and ".join(f't.{c} in (select distinct {c} from {HELD})' for c in narrowing) or "true"
    clash = con.execute(f"""
        select n.{ROW}, t._source_file from {HELD} n
        join (select * from raw.{fmt.table} t where t._load_id <> ? and {nearby}) t on {_same_key(fmt, 'n', 't')}
        order by n.{ROW} limit 1""", [load_id]).fetchone()
    if clash:
        raise RejectedFile(name, f"rows with this key were already loaded from '{clash[1]}'; resend a "
                                 f"correction under that file's name to supersede it", clash[0], fmt.key[-1])


# ---------------------------------------------------------------------------------------------------- recovery

@dataclass(frozen=True)
class Retraction:
    load_id: str
    file: str
    table: str
    rows_removed: int
    rows_restored: int

    def describe(self) -> str:
        return (f"retracted load {self.load_id} of {self.file}: removed {self.rows_removed} rows from raw.{self.table}"
                + (f", restored {self.rows_restored} rows it had superseded" if self.rows_restored else ""))


class RetractRefused(Exception):
    """The load cannot be retracted as asked; the message says why."""


def retract(con: duckdb.DuckDBPyConnection, home: Home, target: str) -> Retraction:
    """Undo a load (by load id, or the latest load in force of a file name): remove its rows, bring back the rows
    it superseded (unless a later load of the same name covers them), mark it retracted in raw.load_log and in
    its archive sidecar. Nothing else changes; the caller republishes through the gates."""
    ensure_raw_tables(con)
    found = con.execute("""select load_id, file_name, format from raw.load_log where outcome = 'loaded'
                           and (load_id = ? or file_name = ?) order by logged_at desc limit 1""",
                        [target, target]).fetchone()
    if not found:
        raise RetractRefused(f"no load in force has the load id or file name '{target}' (see raw.load_log)")
    load_id, name, format_name = found
    fmt = BY_NAME[format_name]
    table, aside = f"raw.{fmt.table}", f"landing.superseded_{fmt.table}"
    con.execute("begin transaction")
    try:
        removed = con.execute(f"delete from {table} where _load_id = ?", [load_id]).fetchone()[0]
        restored_loads = [r for (r,) in con.execute(f"select distinct _load_id from {aside} where _superseded_by = ?",
                                                    [load_id]).fetchall()]
        restored = con.execute(f"insert into {table} by name select * exclude (_superseded_by) from {aside} "
                               f"where _superseded_by = ?", [load_id]).fetchone()[0]
        con.execute(f"delete from {aside} where _superseded_by = ? or _load_id = ?", [load_id, load_id]).fetchone()
        # later loads of the same name take back what they cover of the restored rows
        for later, at in con.execute(f"select distinct _load_id, _loaded_at from {table} where _source_file = ? "
                                     f"order by _loaded_at", [name]).fetchall():
            _hold(con, fmt, later)
            restored -= _supersede(con, fmt, later, name, at)
        for earlier in restored_loads:
            _hold(con, fmt, earlier)
            _check_not_loaded_elsewhere(con, fmt, earlier, name)
        con.execute(f"drop table if exists {HELD}")
        con.execute("update raw.load_log set outcome = 'retracted', message = message || ? where load_id = ?",
                    [f"; retracted at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC", load_id]).fetchone()
        con.execute("commit")
    except RejectedFile as err:
        con.execute("rollback")
        raise RetractRefused(f"retracting {name} would bring back rows that clash with a later load: {err}") from None
    except BaseException:
        con.execute("rollback")
        raise
    sidecar = home.archive / f"{load_id}.json"
    if sidecar.exists():
        _write_json(sidecar, {**json.loads(sidecar.read_text()), "retracted_at": datetime.now(UTC).isoformat()})
    return Retraction(load_id, name, fmt.table, removed, restored)


def archived_loads(home: Home) -> list[dict]:
    """The archive's sidecars of loads in force, in load order."""
    sidecars = [json.loads(p.read_text()) for p in sorted(home.archive.glob("*.json"))] if home.archive.exists() else []
    return sorted((s for s in sidecars if s.get("outcome") == "loaded" and not s.get("retracted_at")),
                  key=lambda s: s["load_id"])


def rebuild(home: Home, key: bytes | None) -> list[LoadResult]:
    """build.duckdb again from archive/: every load in force replayed in its original order, with its load id and
    load time, into a new file that replaces the old one when complete (the old one is kept beside it). Purged
    record-level loads cannot be replayed and are reported as skipped. The caller republishes."""
    fresh = home.build_db.with_name("build.rebuilding.duckdb")
    fresh.unlink(missing_ok=True)
    results = []
    with duckdb.connect(str(fresh)) as con:
        ensure_raw_tables(con)
        if key is not None:
            record_fingerprint(con, key, rotate=True)
        for sidecar in archived_loads(home):
            fields = {k: sidecar[k] for k in Staged.__dataclass_fields__}
            entry = replace(Staged(**fields), data=sidecar["archived_as"])
            if not (home.root / entry.data).exists():
                results.append(_log(con, LoadResult(entry.file_name, entry.sha256, entry.format, entry.family,
                                                    "skipped", message=f"{entry.file_name}: purged from the archive; "
                                                    "not rebuilt", load_id=entry.load_id)))
                continue
            loaded_at = datetime.fromisoformat(sidecar["loaded_at"]) if sidecar.get("loaded_at") else None
            results.append(load_staged(con, home, entry, key, loaded_at=loaded_at, replaying=True))
    wal = Path(str(home.build_db) + ".wal")
    if home.build_db.exists():
        os.replace(home.build_db, home.build_db.with_name("build.before-rebuild.duckdb"))
    wal.unlink(missing_ok=True)
    os.replace(fresh, home.build_db)
    return results


def purge_record_level(home: Home) -> list[str]:
    """Delete archived copies of record-level extracts (clear identifiers); their rows stay loaded, pseudonymised.
    The sidecars record the purge; `rebuild` cannot replay those loads."""
    purged = []
    for path in sorted(home.archive.glob("*.json")) if home.archive.exists() else []:
        sidecar = json.loads(path.read_text())
        data = home.root / sidecar.get("archived_as", "")
        if sidecar.get("record_level") and sidecar.get("archived_as") and data.is_file():
            data.unlink()
            _write_json(path, {**sidecar, "purged_at": datetime.now(UTC).isoformat()})
            purged.append(sidecar["file_name"])
    return purged


# ------------------------------------------------------------------------------------ quarantine and archive

def _reject(con, home: Home, entry: Staged, fmt: Format | None, err: RejectedFile) -> LoadResult:
    folder = private_dir(home.quarantine)
    stored = folder / _stored_name(entry)
    os.replace(home.root / entry.data, stored)
    _write_private(folder / f"{entry.load_id}.reason.txt", str(err) + "\n")
    _unstage(home, entry)
    result = LoadResult(entry.file_name, entry.sha256, fmt.name if fmt else None, fmt.family if fmt else None,
                        "rejected", message=str(err), load_id=entry.load_id, stored_as=_relative(home, stored))
    return _log(con, result)


def _archive(home: Home, entry: Staged, result: LoadResult, loaded_at: datetime | None = None) -> str:
    """The staged bytes under a name derived from the load id (a hard link: no second copy), and a sidecar."""
    folder = private_dir(home.archive)
    target = folder / _stored_name(entry)
    source = home.root / entry.data
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    sidecar = {**asdict(entry), "outcome": result.outcome, "archived_as": _relative(home, target),
               "loaded_at": loaded_at.isoformat() if loaded_at else None}
    _write_json(folder / f"{entry.load_id}.json", sidecar)
    return _relative(home, target)


def _unarchive(home: Home, stored: str | None) -> None:
    if stored:
        path = home.root / stored
        path.unlink(missing_ok=True)
        path.with_name(path.name.split("_", 1)[0] + ".json").unlink(missing_ok=True)  # <load id>.json


def _unstage(home: Home, entry: Staged) -> None:
    data = home.root / entry.data
    data.unlink(missing_ok=True)
    data.with_name(entry.load_id + ".json").unlink(missing_ok=True)


def _stored_name(entry: Staged) -> str:
    """<load id>_<a readable, bounded part of the original name><suffix>: safe whatever the original's length."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(entry.file_name).stem)[:60].strip("-.") or "file"
    return f"{entry.load_id}_{stem}{_safe_suffix(entry.file_name)}"


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""


def _staged(home: Home, family: str | None = None) -> list[Staged]:
    root = staging_dir(home)
    folders = [root / family] if family else [p for p in sorted(root.glob("*")) if p.is_dir()] if root.exists() else []
    entries = [Staged(**json.loads(p.read_text())) for folder in folders if folder.is_dir()
               for p in sorted(folder.glob("*.json"))]
    return sorted(entries, key=lambda e: e.load_id)


def _write_json(path: Path, data: dict) -> None:
    _write_private(path, json.dumps(data, indent=1, default=str))


def _write_private(path: Path, text: str) -> None:
    """Written whole or not at all (temporary file, then rename), readable by the owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _relative(home: Home, path: Path) -> str:
    return str(path.relative_to(home.root))


def _log(con, *results: LoadResult) -> LoadResult:
    """Each result a row of raw.load_log, in one statement; returns the last (`return _log(con, result)`). Rows
    logged together are a microsecond apart, in order: readers list a run's files by time."""
    row = "(" + ", ".join("?" * 12) + ")"
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(f"insert into raw.load_log values {', '.join([row] * len(results))}", [
        value for i, r in enumerate(results) for value in (
            r.load_id, r.file, r.sha256, r.format, r.family, r.outcome, r.rows_read, r.rows_loaded,
            r.rows_superseded, r.message, r.stored_as, now + timedelta(microseconds=i))]).fetchone()
    return results[-1]
