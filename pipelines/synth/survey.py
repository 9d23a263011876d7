"""NHS Staff Survey respondents (sampled from the staff in post at fieldwork), their organisation results,
and team pulse surveys. Burnout rises and psychological safety falls with the organisation's strain."""
from __future__ import annotations

from statistics import NormalDist

import numpy as np
import polars as pl

from .constants import SURVEY_OCCUPATION, survey_questions
from .decimals import decimal, half_up_ratio
from .population import UnitPopulation
from .world import World, stable_key

# National level of each item (% often/always for burnout, % agree for raising concerns), which the
# item offsets below reproduce for an organisation of average strain.
BURNOUT_LEVEL = {"a": 0.36, "b": 0.32, "c": 0.37, "d": 0.22, "e": 0.40, "f": 0.18, "g": 0.28}
CONCERNS_LEVEL = (0.72, 0.57, 0.61, 0.49)  # secure raising, confident addressed, safe to speak, addressed
YEAR_BURNOUT = {2021: 0.15, 2022: 0.12, 2023: 0.0, 2024: -0.04, 2025: -0.06}
YEAR_SAFETY = {2021: 0.08, 2022: 0.05, 2023: 0.0, 2024: -0.03, 2025: -0.06}
CUTS = np.array([-1.5, -0.55, 0.45, 1.3])  # latent thresholds between the five options
LATENT_SD = 1.25  # sd of latent + item noise across staff, used to place the item offsets
ITEM_MISSING = 0.025
GROUP_RESPONSE = np.array([0.8, 1.0, 1.0, 0.85, 1.05, 0.75, 0.85, 0.9, 1.25, 1.2, 1.1, 0.7, 0.9])
PULSE_ROUNDS = 3  # months between pulse rounds


def _offset(level: float) -> float:
    """Item offset so that P(latent + offset > the 'Often'/'Agree' cut) = level."""
    return float(CUTS[2] - LATENT_SD * NormalDist().inv_cdf(1 - level))


def fieldwork_month(world: World, year: int) -> int:
    """October of the survey year, clamped to the simulated window (earlier years use its first month)."""
    cal = world.calendar
    label = f"{year}-10"
    if label in cal.labels:
        return cal.index(label)
    return 0 if label < cal.labels[0] else cal.n - 1


def _items(rng: np.random.Generator, latent: np.ndarray, levels: list[float]) -> np.ndarray:
    """Five-point answers (1..5) to items sharing a latent trait; 0 marks item non-response."""
    n = len(latent)
    y = latent[:, None] + 0.75 * rng.standard_normal((n, len(levels))) + np.array([_offset(v) for v in levels])
    answers = 1 + np.searchsorted(CUTS, y)
    return np.where(rng.random(answers.shape) < ITEM_MISSING, 0, answers)


def survey_respondents(world: World, pop: UnitPopulation, year: int) -> pl.DataFrame:
    """Respondent-level results of every organisation of a unit for one survey year."""
    rng = np.random.default_rng([world.seed, 2, stable_key(pop.unit.orgs[0]), year])
    fm = fieldwork_month(world, year)
    staff = pop.sip.filter((pl.col("month") == fm) & (pl.col("suffix") == 1)).sort("employee_id")
    person, org, group = (staff[c].to_numpy() for c in ("person", "org", "group"))
    kinds = np.array([world.orgs[c].kind for c in pop.unit.orgs])
    rate = np.where(kinds == "trust", rng.uniform(0.35, 0.6, len(kinds)), rng.uniform(0.55, 0.8, len(kinds)))
    responds = rng.random(len(person)) < np.minimum(rate[org] * GROUP_RESPONSE[group], 0.95)
    person, org, group = person[responds], org[responds], group[responds]
    n = len(person)
    strain = np.array([world.strain[c][fm] for c in pop.unit.orgs])[org]
    frail = np.log(pop.staff["frailty"][person])
    burnout = (0.25 * strain + YEAR_BURNOUT.get(year, 0.0) + 0.3 * (frail - frail.mean()) / (frail.std() + 1e-9)
               + 0.85 * rng.standard_normal(n))
    safety = (-0.22 * strain + YEAR_SAFETY.get(year, 0.0) - 0.3 * (burnout - burnout.mean())
              + 0.85 * rng.standard_normal(n))
    codes = survey_questions(year)
    stress = np.where(rng.random(n) < 1 / (1 + np.exp(0.3 - burnout)), 1, 2)
    stress = np.where(rng.random(n) < ITEM_MISSING, 0, stress)
    answers = np.column_stack([
        stress,
        _items(rng, burnout, list(BURNOUT_LEVEL.values())),
        _items(rng, safety, list(CONCERNS_LEVEL)) * (rng.random(n) >= 0.02)[:, None],  # some skip the section
    ])
    # Occupation-group weights (population share / respondent share), as the survey weights trusts.
    occupation = np.array(SURVEY_OCCUPATION)[group]
    frame = pl.DataFrame({"org": org, "occupation_group": occupation})
    pop_share = pl.DataFrame({"org": staff["org"].to_numpy(),
                              "occupation_group": np.array(SURVEY_OCCUPATION)[staff["group"].to_numpy()]})
    shares = pop_share.group_by("org", "occupation_group").len("pop").join(
        frame.group_by("org", "occupation_group").len("resp"), on=["org", "occupation_group"]).with_columns(
        weight=(pl.col("pop") / pl.col("pop").sum().over("org"))
        / (pl.col("resp") / pl.col("resp").sum().over("org")))
    weight = frame.join(shares, on=["org", "occupation_group"], how="left", maintain_order="left")["weight"]
    weight = np.where(kinds[org] == "trust", np.round(weight.to_numpy(), 4), np.nan)
    ids = 100_000_000 + rng.choice(900_000_000, n, replace=False)
    out = pl.DataFrame({
        "respondent_id": ids,
        "org_code": np.array(pop.unit.orgs)[org],
        "survey_year": np.full(n, year),
        "occupation_group": occupation,
        "weight": weight,
        **{c: answers[:, i] for i, c in enumerate(codes)},
    }).with_columns(pl.col("weight").fill_nan(None),
                    *(pl.col(c).replace(0, None).cast(pl.Int8) for c in codes))
    return out.sort("org_code", "respondent_id")


def organisation_results(respondents: pl.DataFrame, year: int) -> pl.DataFrame:
    """Long-form organisation results: unweighted % positive / often-always / yes per item, and its base."""
    codes = survey_questions(year)
    measure = {"q11c": "pct_yes", **{c: "pct_often_always" for c in codes[1:8]},
               **{c: "pct_positive" for c in codes[8:]}}
    long = respondents.unpivot(index="org_code", on=list(codes), variable_name="question_code",
                               value_name="answer").drop_nulls("answer")
    positive = pl.when(pl.col("question_code") == "q11c").then(pl.col("answer") == 1).otherwise(pl.col("answer") >= 4)
    return long.group_by("org_code", "question_code").agg(
        base=pl.len().cast(pl.Int64), pos=positive.sum().cast(pl.Int64)
    ).with_columns(
        survey_year=pl.lit(year, pl.Int64),
        measure=pl.col("question_code").replace_strict(measure, return_dtype=pl.String),
        value=decimal(half_up_ratio("pos", "base", 2), 2),
    ).select("survey_year", "org_code", "question_code", "measure", "value", "base").sort("org_code", "question_code")


def pulse_responses(world: World, org_code: str, headcount: int) -> pl.DataFrame:
    """Edmondson team psychological safety pulse (7 items, 1-7; items 1, 3, 5 negatively worded)."""
    rng = np.random.default_rng([world.seed, 4, stable_key(org_code)])
    cal = world.calendar
    n_teams = int(np.clip(headcount // 12, 3, 12))
    team_level = -0.5 * world.strain[org_code].mean() + 0.6 * rng.standard_normal(n_teams)
    team_size = rng.integers(6, 15, n_teams)
    rounds = np.arange(PULSE_ROUNDS - 1, cal.n, PULSE_ROUNDS)
    counts = [rng.binomial(team_size, 0.6) for _ in rounds]
    team = np.concatenate([np.repeat(np.arange(n_teams), c) for c in counts])
    month = np.repeat(rounds, [c.sum() for c in counts])
    n = len(team)
    person = team_level[team] - 0.3 * (world.strain[org_code][month] - world.strain[org_code].mean())
    person = person + 0.7 * rng.standard_normal(n)
    positive = np.clip(np.round(4.8 + 1.1 * person[:, None] + 0.8 * rng.standard_normal((n, 7))), 1, 7).astype(int)
    scores = np.where(np.isin(np.arange(7), [0, 2, 4])[None, :], 8 - positive, positive)
    seconds = (cal.starts[month] * 86400 + rng.integers(0, cal.days_in_month[month]) * 86400
               + rng.integers(8 * 3600, 20 * 3600, n))
    out = pl.DataFrame({
        "response_id": 10_000_000 + rng.choice(90_000_000, n, replace=False),
        "org_code": np.full(n, org_code),
        "team_id": np.char.add(f"{org_code}-T", np.char.zfill((team + 1).astype(str), 2)),
        "submitted_at": pl.Series(seconds * 1_000_000).cast(pl.Datetime("us")).dt.strftime("%Y-%m-%dT%H:%M:%S"),
        **{f"ps{j + 1}": scores[:, j] for j in range(7)},
    })
    return out.sort("submitted_at", "response_id")
