"""The generator's one time axis: days are integers (days since 1970-01-01), months are indexes."""
from __future__ import annotations

import numpy as np


def day(iso: str) -> int:
    """Day number of an ISO date (YYYY-MM-DD)."""
    return int(np.datetime64(iso, "D").astype(np.int64))


def iso(day_number: int) -> str:
    return str(np.datetime64(int(day_number), "D"))


class Calendar:
    """Consecutive calendar months from `first_month` ("YYYY-MM")."""

    def __init__(self, first_month: str, n_months: int):
        months = np.arange(np.datetime64(first_month, "M"), np.datetime64(first_month, "M") + n_months)
        self.labels: tuple[str, ...] = tuple(str(m) for m in months)
        self.starts = months.astype("datetime64[D]").astype(np.int64)
        self.ends = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
        self.days_in_month = self.ends - self.starts + 1
        self.month_of_year = (months.astype(np.int64) % 12) + 1
        self.n = n_months

    @property
    def first_day(self) -> int:
        return int(self.starts[0])

    @property
    def last_day(self) -> int:
        return int(self.ends[-1])

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index of each day (-1 before the window, n after it)."""
        idx = np.searchsorted(self.starts, days, side="right") - 1
        return np.where(np.asarray(days) > self.last_day, self.n, idx)

    def index(self, label: str) -> int:
        return self.labels.index(label)

    def uk_month_end(self, m: int) -> str:
        """Last day of month m as dd/mm/yyyy (the publication's DATE)."""
        y, mo, d = iso(self.ends[m]).split("-")
        return f"{d}/{mo}/{y}"

    def yyyymm(self, m: int) -> str:
        return self.labels[m].replace("-", "")
