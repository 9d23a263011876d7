"""Privacy on load: keyed pseudonyms for identifiers, dates of birth generalised to age bands."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache

import polars as pl

from ..hashing import hmac_64, worker_started
from .base import PSEUDONYM, Format

AGE_BANDS = ((0, 20, "under 20"), (20, 30, "20-29"), (30, 40, "30-39"), (40, 50, "40-49"),
             (50, 60, "50-59"), (60, 200, "60 and over"))
# identifiers from which a call's HMACs are shared among worker processes: each is one Python call (about 3 us),
# and in the reading thread those calls held the interpreter lock that the loading thread's DuckDB calls wait for
# (a month's staff-in-post files: 1.5 M identifiers, some 6,000 a file)
SHARED_FROM = 2_000
# more workers gain nothing: the reading thread, not hashing, then bounds loading
WORKERS = min(os.cpu_count() or 1, 4)


def pseudonym(value: str, key: bytes) -> int:
    """HMAC-SHA256 of the identifier (standard library), its first 64 bits as an unsigned number."""
    return pseudonyms(pl.Series([value]), key)[0]


def pseudonyms(values: pl.Series, key: bytes) -> pl.Series:
    """`pseudonym` of every value. Callers pass distinct identifiers (far fewer than rows) and join back."""
    clear = values.cast(pl.String).to_list()
    hashed = _shared(key, clear) if len(clear) >= SHARED_FROM and WORKERS > 1 else None
    return pl.Series(values.name, hmac_64(key, clear) if hashed is None else hashed, dtype=PSEUDONYM)


def _shared(key: bytes, clear: list[str | None]) -> list[int | None] | None:
    """The HMACs computed by the workers, a share each (None if a worker died: then computed here)."""
    share = -(-len(clear) // WORKERS)
    parts = [clear[i:i + share] for i in range(0, len(clear), share)]
    try:
        return [h for part in _workers().map(hmac_64, [key] * len(parts), parts) for h in part]
    except BrokenProcessPool:  # killed, or out of memory: the next call starts new workers
        _workers.cache_clear()
        return None


@cache
def _workers() -> ProcessPoolExecutor:
    """Started once per process, from a server process (the loader's threads are not forked); they import only
    pipelines.hashing."""
    return ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=worker_started, initargs=(os.getpid(),))


def age_band(age: pl.Expr) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.String)
    for low, high, label in reversed(AGE_BANDS):
        expr = pl.when((age >= low) & (age < high)).then(pl.lit(label)).otherwise(expr)
    return expr


def protect(df: pl.DataFrame, fmt: Format, key: bytes) -> pl.DataFrame:
    """Replace identifiers with pseudonyms and dates of birth with age bands (age at the row's period)."""
    identifiers = [c.name for c in fmt.columns if c.privacy == "pseudonymise"]
    if identifiers:
        # hash each distinct identifier once (far fewer people than rows), in one pass for all the columns
        distinct = pl.concat([df.get_column(c) for c in identifiers]).drop_nulls().unique()
        hashed = pl.DataFrame({"__identifier": distinct, "__pseudonym": pseudonyms(distinct, key)})
        for c in identifiers:
            df = (df.join(hashed, left_on=c, right_on="__identifier", how="left", maintain_order="left")
                  .with_columns(pl.col("__pseudonym").alias(c)).drop("__pseudonym"))
    for col in fmt.columns:
        if col.privacy == "age_band":
            at, born = (pl.col(fmt.period) if fmt.period else pl.lit(None, dtype=pl.Date)), pl.col(col.name)
            years = (at.dt.year() - born.dt.year()) - (
                (at.dt.month() * 100 + at.dt.day()) < (born.dt.month() * 100 + born.dt.day())).cast(pl.Int32)
            # the age once, then its band (inlined, the age was computed again for each band: 10x the time)
            df = (df.with_columns(years.alias("age_band"))
                  .with_columns(age_band(pl.col("age_band")).alias("age_band")).drop(col.name))
    return df
