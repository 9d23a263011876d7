"""`generate`: simulate the synthetic population unit by unit and write every extract format from it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from .aggregate import unit_aggregates
from .population import simulate_unit
from .social_care import social_care
from .survey import organisation_results, pulse_responses, survey_respondents
from .world import SCALES, Scenario, World, build_world
from .writers import Output, write_etr, write_record_level, write_sickness, write_turnover


@dataclass(frozen=True)
class GenerateSummary:
    scale: str
    seed: int
    out_dir: Path
    files: list[Path]
    counts: dict[str, int]  # rows written per file family
    months: list[str]  # YYYY-MM
    survey_years: list[int]
    icbs: list[str]  # ICB codes in the data, the merged ICB's new code included
    scenario: Scenario  # the merger, move and ICB merger the data contain
    deteriorating_ics: str  # the ICS whose strain (sickness, S10, leavers) rises over the last year


def generate(scale: str = "tiny", out_dir: Path | str = Path("synthetic"), seed: int = 42,
             record_level_orgs: Iterable[str] | None = None) -> GenerateSummary:
    """Write one consistent synthetic population as published (aggregate) and record-level extracts.

    `record_level_orgs` limits the per-organisation record-level files (default: every organisation). Memory
    is bounded by the largest organisation: each unit is simulated, written and dropped before the next.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    world = build_world(scale, seed)
    out = Output(Path(out_dir))
    out.dir.mkdir(parents=True, exist_ok=True)
    record = set(world.orgs) if record_level_orgs is None else set(record_level_orgs)
    cal = world.calendar

    sickness, reasons, turnover, results = [], [], [], {y: [] for y in world.survey_years}
    for unit in world.units:
        pop = simulate_unit(world, unit)
        agg = unit_aggregates(pop, cal)
        sickness.append(agg.sickness)
        reasons.append(agg.reasons)
        turnover.append(agg.turnover)
        for k, code in enumerate(unit.orgs):
            if code in record:
                write_record_level(out, world, pop, k)
        for year in world.survey_years:
            respondents = survey_respondents(world, pop, year)
            results[year].append(organisation_results(respondents, year))
            for (code,), part in sorted(respondents.partition_by("org_code", as_dict=True).items()):
                if code in record:
                    out.csv("staff_survey_respondents", f"staff_survey_respondents_{code}_{year}.csv", part)

    write_sickness(out, world, pl.concat(sickness), pl.concat(reasons))
    write_turnover(out, world, pl.concat(turnover))
    for year in world.survey_years:
        table = pl.concat(results[year]).sort("org_code", "question_code")
        out.csv("staff_survey_orgs", f"staff_survey_orgs_{year}.csv", table)
    for year, table in social_care(world).items():
        out.csv("social_care_la", f"social_care_la_{year}.csv", table)
    write_etr(out, world)
    for code in _pulse_orgs(world, record):
        out.csv("pulse", f"pulse_{code}.csv", pulse_responses(world, code, world.orgs[code].size))

    icbs = sorted({world.ics_at(c, m) for c, o in world.orgs.items() if o.kind != "csu"
                   for m in range(o.first_month, o.last_month)})
    return GenerateSummary(scale, seed, out.dir, sorted(out.files), dict(sorted(out.rows.items())),
                           list(cal.labels), list(world.survey_years), icbs, world.scenario, world.deteriorating_ics)


def _pulse_orgs(world: World, record: set[str]) -> list[str]:
    """A few trusts (open to the end) run team pulse surveys."""
    rng = np.random.default_rng([world.seed, 5])
    trusts = sorted(c for c, o in world.orgs.items()
                    if o.kind == "trust" and o.last_month == world.calendar.n and c in record)
    n = min(world.scale.n_pulse_orgs, len(trusts))
    return sorted(str(c) for c in rng.choice(trusts, size=n, replace=False)) if n else []
