"""Record-level population model of one unit (an organisation, or organisations that merge).

Everything is vectorised with numpy: the only Python loop is over the months of the window (staff leave and
join month by month); staff in post, absence episodes and leavers are derived from per-person arrays.
Money-like quantities are exact: FTE is held in units of 1e-5 (integers), so FTE days sum without rounding
error and the aggregate files equal the record-level files to the last decimal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .constants import (
    GROUP_LEAVING,
    GROUP_PART_TIME,
    GROUP_SICKNESS,
    OCCUPATION_CODES,
    REASONS,
    RETIREMENT,
    S10,
    STAFF_MIX,
)
from .world import Unit, World, stable_key

NO_LEAVE = 10**7  # day number meaning "still employed"
ID_BLOCK = 300_000  # employee numbers reserved per unit, so ids are unique across organisations
LEAD_DAYS = 120  # absence episodes may start this long before the window and run into it
BASE_LEAVING = 0.0078  # monthly leaving hazard of an average settled member of staff (~10% a year)
BASE_ONSET = 0.0069  # daily sickness onset rate of an average member of staff
SECOND_ASSIGNMENT = 0.03  # share of staff holding a second assignment in another staff group
PART_TIME_HOURS = np.array([30.0, 22.5, 15.0, 33.0, 27.0, 18.75, 11.25])
SECOND_FTE_E5 = np.array([10000, 20000, 26667, 40000])
LEAVE_SEASON = np.array([1.0, 0.9, 0.95, 1.05, 0.95, 0.95, 1.1, 1.3, 1.35, 1.0, 0.9, 0.75])  # Jan..Dec
JOIN_SEASON = np.array([1.1, 0.9, 0.9, 1.0, 0.9, 0.9, 0.9, 1.0, 1.5, 1.3, 1.0, 0.7])
OCC_OFFSET = np.cumsum([0] + [len(c) for c in OCCUPATION_CODES])
OCC_COUNT = np.array([len(c) for c in OCCUPATION_CODES])


@dataclass
class UnitPopulation:
    unit: Unit
    staff: dict[str, np.ndarray]  # one entry per person: id, origin, group, frailty, start, leave, dob
    sip: pl.DataFrame  # assignment x month end (internal columns: indexes, e5 FTE, day numbers)
    absence: pl.DataFrame  # episode x assignment
    leavers: pl.DataFrame


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _draw_people(rng: np.random.Generator, origin: np.ndarray, mix: np.ndarray, start: np.ndarray,
                 age: np.ndarray) -> dict[str, np.ndarray]:
    n = len(origin)
    group = _choice_rows(rng, mix[origin])
    part = rng.random(n) < GROUP_PART_TIME[group]
    hours = np.where(part, PART_TIME_HOURS[rng.integers(0, len(PART_TIME_HOURS), n)], 37.5)
    other = mix[origin].copy()
    other[np.arange(n), group] = 0.0
    has2 = (rng.random(n) < SECOND_ASSIGNMENT) & (other.sum(axis=1) > 0)
    group2 = _choice_rows(rng, np.where(has2[:, None], other, 1.0))
    return {
        "origin": origin, "group": group, "start": start,
        "dob": start - np.floor(age * 365.25).astype(np.int64) - rng.integers(0, 365, n),
        "fte": np.round(hours / 37.5 * 1e5).astype(np.int64),
        "occ": OCC_OFFSET[group] + np.floor(rng.random(n) * OCC_COUNT[group]).astype(np.int64),
        "frailty": rng.gamma(0.9, 1 / 0.9, n),  # individual proneness to sickness (mean 1)
        "has2": has2, "group2": group2,
        "fte2": SECOND_FTE_E5[rng.integers(0, len(SECOND_FTE_E5), n)],
        "occ2": OCC_OFFSET[group2] + np.floor(rng.random(n) * OCC_COUNT[group2]).astype(np.int64),
    }


def simulate_unit(world: World, unit: Unit) -> UnitPopulation:
    cal = world.calendar
    rng = np.random.default_rng([world.seed, 1, stable_key(unit.orgs[0])])
    k_orgs = len(unit.orgs)
    orgs = [world.orgs[c] for c in unit.orgs]
    # cur[k, m]: the organisation (index into unit.orgs) staff of origin k belong to in month m (m = n allowed).
    months = np.arange(cal.n + 1)
    cur = np.where(months[None, :] >= np.array(unit.transfer_month)[:, None],
                   np.array(unit.successor)[:, None], np.arange(k_orgs)[:, None])
    strain = np.stack([world.strain[c] for c in unit.orgs])
    mix = np.stack([np.array(STAFF_MIX[o.org_type]) / sum(STAFF_MIX[o.org_type]) for o in orgs])
    size0 = np.array([o.size for o in orgs], dtype=float)
    growth = rng.normal(0.02, 0.015, k_orgs)

    # Staff in post the day before the window: ages 19-66, tenure up to their working life.
    origin0 = np.repeat(np.arange(k_orgs), size0.astype(np.int64))
    age0 = 19 + 47 * rng.beta(2.2, 2.0, len(origin0))
    tenure = np.minimum(rng.exponential(7.0, len(origin0)), age0 - 18.5)
    start0 = cal.first_day - 1 - np.floor(tenure * 365.25).astype(np.int64)
    people = _draw_people(rng, origin0, mix, start0, age0 - tenure)
    leave = np.full(len(origin0), NO_LEAVE, dtype=np.int64)

    for m in range(cal.n):
        moy = cal.month_of_year[m] - 1
        idx = np.flatnonzero((leave == NO_LEAVE) & (people["start"] < cal.starts[m]))
        c = cur[people["origin"][idx], m]
        tenure_y = (cal.starts[m] - people["start"][idx]) / 365.25
        age_y = (cal.starts[m] - people["dob"][idx]) / 365.25
        hazard = (BASE_LEAVING * GROUP_LEAVING[people["group"][idx]] * LEAVE_SEASON[moy]
                  * np.where(tenure_y < 1, 1.7, np.where(tenure_y < 2, 1.2, 1.0))
                  * np.where(age_y >= 60, 3.0, np.where(age_y >= 55, 1.5, np.where(age_y < 25, 1.4, 1.0)))
                  * np.exp(0.2 * strain[c, m]) * people["frailty"][idx] ** 0.25)
        go = rng.random(len(idx)) < hazard
        # A leaver's last day is never the month end, so "left in month m" = "not in post at its end".
        leave[idx[go]] = cal.starts[m] + rng.integers(0, cal.days_in_month[m] - 1, go.sum())
        # Joiners keep each live organisation near its (slowly growing) establishment.
        remaining = np.bincount(c[~go], minlength=k_orgs)
        target = np.bincount(cur[:, m], weights=size0 * (1 + growth) ** (m / 12), minlength=k_orgs)
        live = cur[:, m] == np.arange(k_orgs)
        joiners = rng.poisson(np.maximum(target - remaining, 0) * JOIN_SEASON[moy]) * live
        n_new = int(joiners.sum())
        if n_new:
            start = cal.starts[m] + rng.integers(0, cal.days_in_month[m], n_new)
            new = _draw_people(rng, np.repeat(np.arange(k_orgs), joiners), mix, start,
                               20 + 45 * rng.beta(1.6, 3.5, n_new))
            people = {k: np.concatenate([people[k], new[k]]) for k in people}
            leave = np.concatenate([leave, np.full(n_new, NO_LEAVE, dtype=np.int64)])

    n = len(leave)
    if n > ID_BLOCK:
        raise ValueError(f"unit {unit.orgs[0]} needs {n} employee numbers; ID_BLOCK is {ID_BLOCK}")
    people["id"] = 10_000_000 + unit.index * ID_BLOCK + rng.choice(ID_BLOCK, n, replace=False)
    people["leave"] = leave
    sip = _staff_in_post(world, people, cur)
    absence = _absence(world, unit, rng, people, cur, strain)
    leavers = _leavers(world, rng, people, cur, strain)
    return UnitPopulation(unit, people, sip, absence, leavers)


def _assignments(people: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every person's primary assignment, plus the second assignment of those who hold one."""
    two = np.flatnonzero(people["has2"])
    n = len(people["id"])
    return {
        "person": np.concatenate([np.arange(n), two]),
        "suffix": np.concatenate([np.ones(n, np.int8), np.full(len(two), 2, np.int8)]),
        "group": np.concatenate([people["group"], people["group2"][two]]),
        "occ": np.concatenate([people["occ"], people["occ2"][two]]),
        "fte": np.concatenate([people["fte"], people["fte2"][two]]),
    }


def _staff_in_post(world: World, people: dict[str, np.ndarray], cur: np.ndarray) -> pl.DataFrame:
    """One row per assignment per month end at which the person is in post."""
    cal = world.calendar
    asg = _assignments(people)
    p = asg["person"]
    start, leave = people["start"][p], people["leave"][p]
    first = np.searchsorted(cal.ends, start, side="left")
    last = np.where(leave == NO_LEAVE, cal.n - 1, cal.month_of(leave) - 1)
    count = np.maximum(last - first + 1, 0)
    row_asg = np.repeat(np.arange(len(p)), count)
    month = first[row_asg] + np.arange(len(row_asg)) - np.repeat(np.cumsum(count) - count, count)
    person = p[row_asg]
    origin = people["origin"][person]
    return pl.DataFrame({
        "employee_id": people["id"][person],
        "suffix": asg["suffix"][row_asg],
        "org": cur[origin, month].astype(np.int16),
        "org_next": cur[origin, month + 1].astype(np.int16),  # where this person counts at the next month end
        "group": asg["group"][row_asg].astype(np.int16),
        "occ": asg["occ"][row_asg].astype(np.int16),
        "fte_e5": asg["fte"][row_asg],
        "month": month.astype(np.int16),
        "start_day": people["start"][person],
        "dob_day": people["dob"][person],
        "person": person,
        "joined": cal.month_of(people["start"][person]) == month,
        "leaves_next": cal.month_of(people["leave"][person]) == month + 1,
    })


def _season(days: np.ndarray) -> np.ndarray:
    """Winter peak (mid-January), summer trough: -1..1."""
    doy = (days - days.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64))
    return np.cos(2 * np.pi * (doy - 15) / 365.25)


def _absence(world: World, unit: Unit, rng: np.random.Generator, people: dict[str, np.ndarray],
             cur: np.ndarray, strain: np.ndarray) -> pl.DataFrame:
    """Sickness episodes: seasonal onsets driven by strain and frailty, reason-specific lengths, no overlaps."""
    cal = world.calendar
    k_orgs, extract = cur.shape[0], cal.last_day
    d0 = cal.first_day - LEAD_DAYS
    days = np.arange(d0, extract + 1)
    span = len(days)
    m_day = np.clip(cal.month_of(days), 0, cal.n - 1)
    season = _season(days)
    # Daily onset weight per origin, chained into one increasing cumulative array so that onset days of every
    # person can be drawn at once by inverting it (each origin owns a segment of length `span`).
    weight = np.concatenate([(1 + 0.3 * season) * np.exp(0.15 * strain[cur[k, m_day], m_day])
                             for k in range(k_orgs)])
    cum = np.concatenate([[0.0], np.cumsum(weight)])
    origin = people["origin"]
    # Absence in the month someone leaves is not recorded (ESR closes it with the assignment), so every day
    # lost belongs to someone in post at that month end and days lost never exceed days available.
    stop = np.where(people["leave"] == NO_LEAVE, NO_LEAVE,
                    cal.starts[np.clip(cal.month_of(people["leave"]), 0, cal.n - 1)] - 1)
    a = np.maximum(people["start"], d0)
    b = np.minimum(stop, extract)
    ok = b >= a
    ia = origin * span + (a - d0)
    ib = np.where(ok, origin * span + (b - d0) + 1, ia)
    mass = cum[ib] - cum[ia]
    n_ep = rng.poisson(BASE_ONSET * GROUP_SICKNESS[people["group"]] * people["frailty"] * mass)
    who = np.repeat(np.arange(len(origin)), n_ep)
    pos = np.searchsorted(cum, cum[ia[who]] + rng.random(len(who)) * mass[who], side="right") - 1
    pos = np.clip(pos, ia[who], ib[who] - 1)
    onset = d0 + pos - origin[who] * span
    od = onset - d0
    s = strain[cur[origin[who], m_day[od]], m_day[od]]

    # Reason: S10 (stress/anxiety/depression) rises with strain, respiratory reasons peak in winter.
    table = np.array([r[1:] for r in REASONS])
    logw = np.log(table[:, 0])[None, :] + 0.7 * table[:, 4][None, :] * season[od][:, None]
    logw[:, S10] += 0.2 * s
    reason = _choice_rows(rng, np.exp(logw - logw.max(axis=1, keepdims=True)))
    p_long = np.minimum(table[reason, 1] * np.exp(0.1 * np.maximum(s, 0)), 0.9)
    long_term = rng.random(len(who)) < p_long
    short = np.clip(np.ceil(table[reason, 2] * np.exp(0.7 * rng.standard_normal(len(who)))), 1, 27)
    length = np.where(long_term, 28 + np.floor(rng.exponential(table[reason, 3])), short).astype(np.int64)
    end = np.minimum(onset + np.minimum(length, 500) - 1, stop[who])

    # One episode at a time per person: sort, drop same-day duplicates, cut each at the next onset.
    order = np.lexsort((onset, who))
    who, onset, end, reason = who[order], onset[order], end[order], reason[order]
    same_next = np.r_[who[1:] == who[:-1], False]
    dup = np.r_[False, same_next[:-1] & (onset[1:] == onset[:-1])]
    who, onset, end, reason = who[~dup], onset[~dup], end[~dup], reason[~dup]
    same_next = np.r_[who[1:] == who[:-1], False]
    end = np.where(same_next, np.minimum(end, np.r_[onset[1:], 0] - 1), end)
    keep = (end >= cal.first_day) & (onset <= extract)
    who, onset, end, reason = who[keep], onset[keep], end[keep], reason[keep]

    # An episode running over a transfer date is split: ESR closes the old assignment, opens the new one.
    k = origin[who]
    t_month = np.array(unit.transfer_month)[k]
    t_day = np.where(t_month < cal.n, cal.starts[np.minimum(t_month, cal.n - 1)], NO_LEAVE)
    cross = (onset < t_day) & (end >= t_day)
    x = np.flatnonzero(cross)
    who = np.concatenate([who, who[x]])
    reason = np.concatenate([reason, reason[x]])
    onset2 = np.concatenate([onset, t_day[x]])
    end2 = np.concatenate([np.where(cross, t_day - 1, end), end[x]])
    org = cur[origin[who], np.clip(cal.month_of(onset2), 0, cal.n)]

    # One row per assignment the person holds (both assignments are off sick together).
    n = len(people["id"])
    two = np.flatnonzero(people["has2"])
    second_of = np.full(n, -1)
    second_of[two] = np.arange(len(two))
    rows = np.concatenate([np.arange(len(who)), np.flatnonzero(people["has2"][who])])
    suffix = np.r_[np.ones(len(who), np.int8), np.full(len(rows) - len(who), 2, np.int8)]
    p = who[rows]
    second = suffix == 2
    return pl.DataFrame({
        "employee_id": people["id"][p],
        "suffix": suffix,
        "org": org[rows].astype(np.int16),
        "start_day": onset2[rows],
        "end_day": end2[rows],  # > extract date means still open at the extract
        "fte_e5": np.where(second, people["fte2"][p], people["fte"][p]),
        "group": np.where(second, people["group2"][p], people["group"][p]).astype(np.int16),
        "reason": reason[rows].astype(np.int16),
    })


def _leavers(world: World, rng: np.random.Generator, people: dict[str, np.ndarray], cur: np.ndarray,
             strain: np.ndarray) -> pl.DataFrame:
    """ESR leavers: reason (work-life balance rises with strain, retirement with age) and destination."""
    cal = world.calendar
    who = np.flatnonzero(people["leave"] != NO_LEAVE)
    leave = people["leave"][who]
    m = cal.month_of(leave)
    org = cur[people["origin"][who], m]
    s = strain[org, m]
    age = (leave - people["dob"][who]) / 365.25
    logw = np.tile(np.log([0.2, 0.14, 0.1, 0.06, 0.05, 0.2, 0.1, 0.03, 0.07, 0.05]), (len(who), 1))
    logw[:, 0] += 0.5 * s
    logw[:, list(RETIREMENT)] += np.where(age >= 58, 3.0, np.where(age >= 55, 1.0, -4.0))[:, None]
    reason = _choice_rows(rng, np.exp(logw - logw.max(axis=1, keepdims=True)))
    dest = _choice_rows(rng, np.tile([0.45, 0.1, 0.2, 0.25], (len(who), 1)))
    dest = np.where(np.isin(reason, RETIREMENT), 1, dest)
    return pl.DataFrame({
        "employee_id": people["id"][who],
        "org": org.astype(np.int16),
        "group": people["group"][who].astype(np.int16),
        "leave_day": leave,
        "reason": reason.astype(np.int16),
        "destination": dest.astype(np.int16),
    })

