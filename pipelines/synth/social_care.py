"""Skills for Care style adult social care workforce estimates per local authority, one table per year."""
from __future__ import annotations

import numpy as np
import polars as pl

from .world import LA_SEED, World, read_csv

SMALL_LAS = ("E06000053", "E09000001")  # Isles of Scilly, City of London: genuinely tiny workforces


def social_care(world: World) -> dict[int, pl.DataFrame]:
    """Per survey year: filled posts, turnover, vacancies, sickness; rates track the local ICS's strain.

    The first year states rates as fractions (0-1), later years as percentages, as different Skills for
    Care releases do; a couple of authorities have fewer than 10 workers (to be suppressed downstream).
    Empty when the local authority seed is not there.
    """
    if not LA_SEED.exists():
        return {}
    strain: dict[str, list[tuple[float, float]]] = {}
    for row in read_csv(LA_SEED):
        if row["icb_code"] in world.ics_strain:
            strain.setdefault(row["la_code"], []).append((float(row["share"]), world.ics_strain[row["icb_code"]]))
    codes = sorted(strain)
    if not codes:
        return {}
    rng = np.random.default_rng([world.seed, 3])
    s = np.array([sum(w * v for w, v in strain[c]) / sum(w for w, _ in strain[c]) for c in codes])
    kind = np.array([c[:3] for c in codes])
    median = np.select([kind == "E07", kind == "E09"], [1800.0, 4500.0], 6000.0)
    posts = median * np.exp(0.4 * rng.standard_normal(len(codes)))
    small = np.isin(codes, SMALL_LAS)
    if small.sum() < 2:
        small[rng.choice(len(codes), size=min(2, len(codes)), replace=False)] = True
    posts = np.where(small, rng.integers(15, 40, len(codes)), posts)
    sampled = np.where(small, rng.integers(4, 10, len(codes)), 0)
    tables = {}
    for i, year in enumerate(world.survey_years):
        filled = np.round(posts * (1.01 ** i) * np.exp(0.02 * rng.standard_normal(len(codes)))).astype(np.int64)
        workers = np.where(small, sampled, np.round(filled * rng.uniform(0.45, 0.7, len(codes)))).astype(np.int64)
        turnover = np.clip(0.29 + 0.035 * s - 0.01 * i + 0.025 * rng.standard_normal(len(codes)), 0.1, 0.6)
        vacancy = np.clip(0.095 + 0.012 * s - 0.008 * i + 0.015 * rng.standard_normal(len(codes)), 0.02, 0.3)
        sickness = np.clip(5.2 + 0.9 * s + 0.6 * rng.standard_normal(len(codes)), 1.0, 15.0)
        as_pct = i > 0
        tables[year] = pl.DataFrame({
            "year": np.full(len(codes), year),
            "la_code": codes,
            "filled_posts": filled,
            "turnover_rate": np.round(turnover * 100, 2) if as_pct else np.round(turnover, 4),
            "vacancy_rate": np.round(vacancy * 100, 2) if as_pct else np.round(vacancy, 4),
            "sickness_days_per_worker": np.round(sickness, 1),
            "n_workers": workers,
        })
    return tables
