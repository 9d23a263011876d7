"""Backfills: one run that takes only the landing files of a range of months.

Monthly sources (sickness, turnover, workforce, pulse) are selected by month, yearly ones (the Staff Survey,
social care) by year; files with no period (reference data) always go. Files outside the range wait in
`<home>/held/` while the run works and return to `landing/` when it ends (or at the start of the next run if
it was killed). The marts are rebuilt in full on every run (dbt over every raw row: seconds on the demo, the
same whatever the range), so a backfill differs from a run only in which files it loads. In the Dagster UI the
partitioned jobs `backfill_month` and `backfill_year` (defs/automation.py) pass one partition's months the same way.
"""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .freshness import period_month
from .landing import ready_files
from .settings import Home
from .sources import RejectedFile, recognise
from .sources.registry import read_batches, sniff_columns

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
YEAR = re.compile(r"^(\d{4})$")                  # a survey or calendar year
FINANCIAL_YEAR = re.compile(r"^(\d{4})/\d{2}$")  # April to March


@dataclass(frozen=True)
class MonthRange:
    start: tuple[int, int]
    end: tuple[int, int]

    @classmethod
    def parse(cls, start: str, end: str) -> MonthRange:
        bounds = []
        for name, text in (("--from", start), ("--to", end)):
            m = MONTH.match(text or "")
            if not m:
                raise ValueError(f"{name} {text!r} is not a month: use YYYY-MM, e.g. 2024-04")
            bounds.append((int(m[1]), int(m[2])))
        if bounds[0] > bounds[1]:
            raise ValueError(f"--from {start} is after --to {end}")
        return cls(bounds[0], bounds[1])

    def __str__(self) -> str:
        return f"{self.start[0]}-{self.start[1]:02d} to {self.end[0]}-{self.end[1]:02d}"

    def covers(self, period: str) -> bool:
        """A monthly period by its month; a yearly one when the range overlaps its year."""
        span = period_span(period)
        return span is not None and not (span[1] < self.start or span[0] > self.end)


def period_span(period: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The first and last (year, month) a period covers."""
    text = period.strip()
    if m := YEAR.match(text):
        return (int(m[1]), 1), (int(m[1]), 12)
    if m := FINANCIAL_YEAR.match(text):
        return (int(m[1]), 4), (int(m[1]) + 1, 3)
    ends = period_month(text)
    return (ends, ends) if ends else None


def file_periods(path: Path, key: bytes | None) -> list[str] | None:
    """The distinct periods a landing file holds; None when its format has none or it cannot be read
    (the run then takes it, and quarantines it with its reason if it is bad)."""
    try:
        fmt = recognise(sniff_columns(path), path.name)
        if fmt.period is None:
            return None
        _, batches = read_batches(path, key)
        values: set[str] = set()
        for frame in batches:
            values |= set(frame.get_column(fmt.period).cast(pl.String).drop_nulls().unique().to_list())
        return sorted(values)
    except RejectedFile:
        return None


def hold_outside(home: Home, months: MonthRange, key: bytes | None) -> list[Path]:
    """Move the landing files with no period in `months` to held/; the files moved."""
    held = []
    for path in ready_files(home, time.time(), settle=0).ready:
        periods = file_periods(path, key)
        if periods is None or any(months.covers(p) for p in periods):
            continue
        target = home.held / path.relative_to(home.landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        held.append(target)
    return held


def release_held(home: Home) -> int:
    """Put every held file back in landing (after a backfill, or one that was killed); how many."""
    released = 0
    if home.held.exists():
        for path in sorted(p for p in home.held.rglob("*") if p.is_file()):
            target = home.landing / path.relative_to(home.held)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            released += 1
    return released
