"""Landing folder semantics: each file loaded at most once (by SHA-256), corrected resends supersede,
good files archived, bad files quarantined with a reason, every file logged in raw.load_log.

A rejected file changes no raw table: each load is one DuckDB transaction (its batches, then the checks that
span the whole file and the table), rolled back at the first problem.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from .settings import Home
from .sources import FORMATS, ROW, Format, RejectedFile, recognise
from .sources.base import duplicate_key_message
from .sources.registry import load_note, read_batches, sniff_columns

DUCKDB_TYPES = {pl.String: "VARCHAR", pl.Float64: "DOUBLE", pl.Int64: "BIGINT", pl.Date: "DATE",
                pl.Datetime: "TIMESTAMP", pl.Boolean: "BOOLEAN"}
BATCH_ROWS_ENV = "WELLBEING_LOAD_BATCH_ROWS"
DEFAULT_BATCH_ROWS = 500_000
META_COLUMNS = "_load_id VARCHAR, _source_file VARCHAR, _source_sha256 VARCHAR, _loaded_at TIMESTAMP, _source_row BIGINT"


@dataclass(frozen=True)
class LoadResult:
    file: str
    sha256: str
    format: str | None
    family: str | None
    outcome: str  # loaded | duplicate | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_superseded: int = 0
    message: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, formats: tuple[Format, ...] = FORMATS) -> None:
    """Every raw table exists (empty until a file arrives), so dbt sources always resolve."""
    con.execute("create schema if not exists raw")
    con.execute("""
        create table if not exists raw.load_log (
            load_id VARCHAR, file_name VARCHAR, sha256 VARCHAR, format VARCHAR, family VARCHAR,
            outcome VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_superseded BIGINT,
            message VARCHAR, archived_as VARCHAR, logged_at TIMESTAMP)""")
    for fmt in formats:
        cols = ", ".join(f'"{name}" {DUCKDB_TYPES[dtype]}' for name, dtype in fmt.stored)
        con.execute(f"create table if not exists raw.{fmt.table} ({cols}, {META_COLUMNS})")
        for name, dtype in fmt.stored:  # a warehouse built before a column was added to the format
            con.execute(f'alter table raw.{fmt.table} add column if not exists "{name}" {DUCKDB_TYPES[dtype]}')


def landing_files(home: Home) -> list[Path]:
    return sorted(p for p in home.landing.rglob("*") if p.is_file() and not p.name.startswith("."))


def ingest(con: duckdb.DuckDBPyConnection, home: Home, family: str, key: bytes | None = None) -> list[LoadResult]:
    """Load every landing file of one source family; quarantine unreadable ones met on the way."""
    ensure_raw_tables(con)
    results = []
    for path in landing_files(home):
        try:
            fmt = recognise(sniff_columns(path), path.name)
        except RejectedFile as err:
            results.append(_reject(con, home, path, None, err))
            continue
        if fmt.family == family:
            results.append(load_file(con, home, path, key))
    return results


def configured_batch_rows() -> int:
    """Rows read, typed and inserted at a time: bounds the loader's memory whatever the file's size."""
    return int(os.environ.get(BATCH_ROWS_ENV, DEFAULT_BATCH_ROWS))


def load_file(con: duckdb.DuckDBPyConnection, home: Home, path: Path, key: bytes | None = None,
              batch_rows: int | None = None) -> LoadResult:
    """Load one file in one transaction: every batch, then the checks that span the whole file and the table."""
    sha = file_sha256(path)
    if con.execute("select 1 from raw.load_log where sha256 = ? and outcome = 'loaded'", [sha]).fetchone():
        result = LoadResult(path.name, sha, None, None, "duplicate",
                            message="identical content already loaded; archived, not loaded again")
        return _log(con, result, _move(path, home.archive))
    fmt, load_id = None, sha[:16]
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute("begin transaction")
    try:
        fmt, batches = read_batches(path, key, batch_rows or configured_batch_rows())
        rows, note = 0, ""
        for df in batches:
            note = note or load_note(fmt, df)
            rows += _insert(con, fmt, df, load_id, path.name, sha, loaded_at)
        _check_unique_in_load(con, fmt, load_id, path.name)
        superseded = _supersede(con, fmt, load_id, path.name)
        _check_not_loaded_elsewhere(con, fmt, load_id, path.name)
        result = LoadResult(path.name, sha, fmt.name, fmt.family, "loaded", rows, rows, superseded,
                            f"loaded {rows} rows into raw.{fmt.table}" + note
                            + (f"; superseded {superseded} rows of an earlier load of {path.name}" if superseded else ""))
        _log(con, result, None)
        con.execute("commit")
    except RejectedFile as err:
        con.execute("rollback")
        return _reject(con, home, path, fmt, err)
    except BaseException:
        con.execute("rollback")
        raise
    archived = _move(path, home.archive)
    con.execute("update raw.load_log set archived_as = ? where sha256 = ? and outcome = 'loaded'", [archived, sha])
    return result


def _insert(con, fmt: Format, df: pl.DataFrame, load_id: str, name: str, sha: str, loaded_at: datetime) -> int:
    rows = df.with_columns(pl.lit(load_id).alias("_load_id"), pl.lit(name).alias("_source_file"),
                           pl.lit(sha).alias("_source_sha256"), pl.lit(loaded_at).alias("_loaded_at"))
    con.register("incoming", rows.to_arrow())
    con.execute(f"insert into raw.{fmt.table} by name select * from incoming")
    con.unregister("incoming")
    return df.height


def _same_key(fmt: Format, a: str, b: str) -> str:
    return " and ".join(f'{a}."{k}" is not distinct from {b}."{k}"' for k in fmt.key)


def _check_unique_in_load(con, fmt: Format, load_id: str, name: str) -> None:
    """The file's grain holds across all its batches: the second row with a key already seen is named."""
    keys = ", ".join(f'"{k}"' for k in fmt.key)
    dup = con.execute(f"""
        select {keys}, list_sort(list({ROW}))[2] as second_row from raw.{fmt.table}
        where _load_id = ? group by all having count(*) > 1 order by second_row limit 1""", [load_id]).fetchone()
    if dup:
        raise RejectedFile(name, duplicate_key_message(fmt, dict(zip(fmt.key, dup))), dup[-1], fmt.key[-1])


def _period(fmt: Format, alias: str) -> str:
    """Dated periods supersede by month (a monthly extract's rows carry many different dates)."""
    column = f'{alias}."{fmt.period}"'
    dtype = dict(fmt.stored)[fmt.period]
    return f"date_trunc('month', {column})" if dtype in (pl.Date, pl.Datetime) else column


def _supersede(con, fmt: Format, load_id: str, name: str) -> int:
    """A corrected file with the same name replaces the earlier loads' rows for its periods and organisations
    (its organisations only, or the whole earlier load, when the format has no period or no organisation)."""
    same = [f"{_period(fmt, 'n')} is not distinct from {_period(fmt, 't')}"] if fmt.period else []
    same += [f't."{fmt.org}" is not distinct from n."{fmt.org}"'] if fmt.org else []
    covered, params = "", [name, load_id]
    if same:
        covered = f"and exists (select 1 from raw.{fmt.table} n where n._load_id = ? and {' and '.join(same)})"
        params.append(load_id)
    return con.execute(f"delete from raw.{fmt.table} t where t._source_file = ? and t._load_id <> ? {covered}",
                       params).fetchone()[0]


def _check_not_loaded_elsewhere(con, fmt: Format, load_id: str, name: str) -> None:
    clash = con.execute(f"""
        select n.{ROW}, t._source_file from raw.{fmt.table} n
        join raw.{fmt.table} t on {_same_key(fmt, 'n', 't')} and t._load_id <> n._load_id
        where n._load_id = ? order by n.{ROW} limit 1""", [load_id]).fetchone()
    if clash:
        raise RejectedFile(name, f"rows with this key were already loaded from '{clash[1]}'; resend a "
                                 f"correction under that file's name to supersede it", clash[0], fmt.key[-1])


def _reject(con, home: Home, path: Path, fmt: Format | None, err: RejectedFile) -> LoadResult:
    sha = file_sha256(path)
    where = _move(path, home.quarantine)
    (home.root / where).with_name(Path(where).name + ".reason.txt").write_text(str(err) + "\n")
    result = LoadResult(path.name, sha, fmt.name if fmt else None, fmt.family if fmt else None, "rejected",
                        message=str(err))
    return _log(con, result, where)


def _log(con, result: LoadResult, archived_as: str | None) -> LoadResult:
    con.execute("insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        result.sha256[:16], result.file, result.sha256, result.format, result.family, result.outcome,
        result.rows_read, result.rows_loaded, result.rows_superseded, result.message, archived_as,
        datetime.now(timezone.utc).replace(tzinfo=None)])
    return result


def _move(path: Path, folder: Path) -> str:
    """Move without ever overwriting: a name already taken gets a numbered suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists() or target.with_name(target.name + ".reason.txt").exists():
        target, n = folder / f"{path.stem}.{n}{path.suffix}", n + 1
    shutil.move(str(path), target)
    return str(target.relative_to(folder.parent))
