"""Landing folder semantics: each file loaded at most once (by SHA-256), corrected resends supersede,
good files archived, bad files quarantined with a reason, every file logged in raw.load_log.

A rejected file changes no raw table: it is read and typed in full before a single row is written, and
each load is one DuckDB transaction.
"""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from .settings import Home
from .sources import FORMATS, ROW, Format, RejectedFile, read, recognise
from .sources.registry import load_note, sniff_columns

DUCKDB_TYPES = {pl.String: "VARCHAR", pl.Float64: "DOUBLE", pl.Int64: "BIGINT", pl.Date: "DATE",
                pl.Datetime: "TIMESTAMP", pl.Boolean: "BOOLEAN"}
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
        cols = ", ".join('"age_band" VARCHAR' if c.privacy == "age_band" else f'"{c.name}" {DUCKDB_TYPES[c.dtype]}'
                         for c in fmt.columns)
        con.execute(f"create table if not exists raw.{fmt.table} ({cols}, {META_COLUMNS})")


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


def load_file(con: duckdb.DuckDBPyConnection, home: Home, path: Path, key: bytes | None = None) -> LoadResult:
    sha = file_sha256(path)
    if con.execute("select 1 from raw.load_log where sha256 = ? and outcome = 'loaded'", [sha]).fetchone():
        result = LoadResult(path.name, sha, None, None, "duplicate",
                            message="identical content already loaded; archived, not loaded again")
        return _log(con, result, _move(path, home.archive))
    try:
        fmt, df = read(path, key)
    except RejectedFile as err:
        return _reject(con, home, path, None, err)
    try:
        con.execute("begin transaction")
        superseded = _supersede(con, fmt, df, path.name)
        _check_not_loaded_elsewhere(con, fmt, df, path.name)
        loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
        rows = df.with_columns(pl.lit(sha[:16]).alias("_load_id"), pl.lit(path.name).alias("_source_file"),
                               pl.lit(sha).alias("_source_sha256"), pl.lit(loaded_at).alias("_loaded_at"))
        con.register("incoming", rows.to_arrow())
        con.execute(f"insert into raw.{fmt.table} by name select * from incoming")
        con.unregister("incoming")
        result = LoadResult(path.name, sha, fmt.name, fmt.family, "loaded", df.height, df.height, superseded,
                            f"loaded {df.height} rows into raw.{fmt.table}" + load_note(fmt, df)
                            + (f"; superseded {superseded} rows of an earlier load of {path.name}" if superseded else ""))
        _log(con, result, None)
        con.execute("commit")
    except RejectedFile as err:
        con.execute("rollback")
        return _reject(con, home, path, fmt, err)
    except Exception:
        con.execute("rollback")
        raise
    archived = _move(path, home.archive)
    con.execute("update raw.load_log set archived_as = ? where sha256 = ? and outcome = 'loaded'", [archived, sha])
    return result


def _supersede(con, fmt: Format, df: pl.DataFrame, name: str) -> int:
    """A corrected file with the same name replaces the earlier load's rows for its periods and organisations."""
    if not (fmt.period and fmt.org):
        return 0
    con.register("incoming_keys", df.select(fmt.period, fmt.org).unique().to_arrow())
    n = con.execute(f"""
        delete from raw.{fmt.table} t using incoming_keys k
        where t._source_file = ? and t."{fmt.period}" = k."{fmt.period}" and t."{fmt.org}" = k."{fmt.org}"
        returning 1""", [name]).fetchall()
    con.unregister("incoming_keys")
    return len(n)


def _check_not_loaded_elsewhere(con, fmt: Format, df: pl.DataFrame, name: str) -> None:
    con.register("incoming_keys", df.select(ROW, *fmt.key).to_arrow())
    on = " and ".join(f't."{k}" is not distinct from k."{k}"' for k in fmt.key)
    clash = con.execute(f"""
        select k.{ROW}, t._source_file from raw.{fmt.table} t join incoming_keys k on {on}
        order by k.{ROW} limit 1""").fetchone()
    con.unregister("incoming_keys")
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
