"""Privacy on load: keyed pseudonyms for identifiers, dates of birth generalised to age bands."""
from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache

import polars as pl

from .base import PSEUDONYM, Format

AGE_BANDS = ((0, 20, "under 20"), (20, 30, "20-29"), (30, 40, "30-39"), (40, 50, "40-49"),
             (50, 60, "50-59"), (60, 200, "60 and over"))
# 64 bits: two of 3 million identifiers share a pseudonym with a chance of about 1 in 4 million (n^2 / 2^65); as a
# number the warehouse stores, compares and hashes it several times faster than as text
PSEUDONYM_BYTES = 8


def pseudonym(value: str, key: bytes) -> int:
    """HMAC-SHA256 of the identifier (standard library), its first 64 bits as an unsigned number."""
    return pseudonyms(pl.Series([value]), key)[0]


# distinct identifiers from which the HMACs are shared among worker processes: each is one Python call (about 3 us),
# and in the reading thread those calls held the interpreter lock that the loading thread's DuckDB calls wait for
# (a month's staff-in-post files hold 1.5 M identifiers)
SHARED_FROM = 2_000
CORES = len(os.sched_getaffinity(0))


def pseudonyms(values: pl.Series, key: bytes) -> pl.Series:
    """`pseudonym` of every value. Callers pass distinct identifiers (far fewer than rows) and join back."""
    clear = values.cast(pl.String).to_list()
    if len(clear) < SHARED_FROM or CORES == 1:
        hashed = _hmac_all(key, clear)
    else:
        share = -(-len(clear) // CORES)
        parts = [clear[i:i + share] for i in range(0, len(clear), share)]
        hashed = [h for part in _workers().map(_hmac_all, [key] * len(parts), parts) for h in part]
    return pl.Series(values.name, hashed, dtype=PSEUDONYM)


def _hmac_all(key: bytes, clear: list[str | None]) -> list[int | None]:
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # the keyed state built once, copied per value

    def one(value: str) -> int:
        h = keyed.copy()
        h.update(value.encode())
        return int.from_bytes(h.digest()[:PSEUDONYM_BYTES], "big")

    return [None if v is None else one(v) for v in clear]


@cache
def _workers() -> ProcessPoolExecutor:
    """One process per core, started once, from a server process (the loader's threads are not forked)."""
    return ProcessPoolExecutor(CORES, mp_context=multiprocessing.get_context("forkserver"))


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
