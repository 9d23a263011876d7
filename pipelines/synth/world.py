"""The synthetic world: which organisations exist, in which ICB, when they merge or move, how strained each is.

Organisations and ICBs come from the reference tables (trusts.csv, dbt/seeds/ref_icb.csv); sizes, strain and
the scenario events are synthetic. Everything here is small (hundreds of rows), so plain Python is fine.
"""
from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .calendar import Calendar, day
from .constants import CSUS, QZZ, QZZ_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]
TRUSTS_CSV = Path(__file__).resolve().parent / "reference" / "trusts.csv"
ICB_SEED = REPO_ROOT / "dbt" / "seeds" / "ref_icb.csv"
LA_SEED = REPO_ROOT / "dbt" / "seeds" / "ref_la_icb_share.csv"


@dataclass(frozen=True)
class Scale:
    name: str
    first_month: str
    n_months: int
    survey_years: tuple[int, ...]
    trusts_per_icb: int | None  # None: every trust of every ICB
    n_csus: int
    n_pulse_orgs: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", "2024-10", 24, (2024, 2025), 2, 1, 2),
    "demo": Scale("demo", "2023-10", 36, (2022, 2023, 2024, 2025), None, 2, 6),
    "national": Scale("national", "2023-10", 36, (2022, 2023, 2024, 2025), None, 4, 12),
}
NATIONAL_STAFF = 1_400_000  # NHS trusts and ICBs in England, headcount


@dataclass(frozen=True)
class Scenario:
    """The boundary events every scale contains (all inside every scale's window)."""

    merging_icbs: tuple[str, str] = ("QUE", "QMM")
    new_icb: str = "QSYN1"  # clearly synthetic: 5 characters, not the QXX pattern
    new_icb_name: str = "Synthetic East Anglia"
    icb_merger_date: str = "2026-04-01"
    absorbed_trust: str = "RGP"  # absorbed by absorbing_trust; its staff transfer, it closes the day before
    absorbing_trust: str = "RM1"
    trust_merger_date: str = "2025-07-01"
    moving_trust: str = "RDE"
    move_from: str = "QJG"
    move_to: str = "QH8"
    move_date: str = "2025-04-01"


@dataclass(frozen=True)
class Icb:
    code: str
    name: str
    long_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    kind: str  # trust, icb or csu
    org_type: str  # the publication's ORG_TYPE (and CLUSTER_GROUP)
    benchmark_group: str
    region_code: str
    home_icb: str  # ICB at the start of the data (QZZ for CSUs)
    open_date: str  # ISO, trusts only
    size: int  # headcount at the start of the data (0 for an organisation created later)
    first_month: int  # exists from this month index
    last_month: int  # ... until before this one


@dataclass(frozen=True)
class Unit:
    """Organisations simulated together because staff transfer between them (a merger), else one organisation."""

    index: int
    orgs: tuple[str, ...]
    successor: tuple[int, ...]  # index into orgs each org's staff transfer to (itself if never)
    transfer_month: tuple[int, ...]  # month index of the transfer (n_months if never)


@dataclass
class World:
    scale: Scale
    seed: int
    calendar: Calendar
    scenario: Scenario
    icbs: dict[str, Icb]
    orgs: dict[str, Org]
    units: list[Unit]
    strain: dict[str, np.ndarray] = field(repr=False)  # per organisation, per month
    ics_strain: dict[str, float] = field(repr=False)
    deteriorating_ics: str = ""  # the ICS whose strain rises over the last year (an SPC signal to find)
    survey_years: tuple[int, ...] = ()

    def ics_at(self, org_code: str, m: int) -> str:
        """ICB code in force for an organisation in month m (as-at boundaries)."""
        org, sc, cal = self.orgs[org_code], self.scenario, self.calendar
        if org.kind == "csu":
            return QZZ
        if org.kind == "icb":
            return org.code
        icb = org.home_icb
        if org.code == sc.moving_trust and cal.starts[m] >= day(sc.move_date):
            icb = sc.move_to
        if icb in sc.merging_icbs and cal.starts[m] >= day(sc.icb_merger_date):
            icb = sc.new_icb
        return icb

    def icb_on(self, org_code: str, on_day: int) -> str:
        """ICB code of a trust on a given day (for ODS snapshots)."""
        m = int(np.clip(self.calendar.month_of(np.array([on_day]))[0], 0, self.calendar.n - 1))
        return self.ics_at(org_code, m)

    def region(self, org_code: str) -> tuple[str, str]:
        org = self.orgs[org_code]
        if org.kind == "csu":
            return QZZ, QZZ_NAME
        icb = self.icbs[org.home_icb]
        return icb.region_code, icb.region_name


def stable_key(text: str) -> int:
    """A seed component from a name that does not depend on Python's hash randomisation."""
    return zlib.crc32(text.encode())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _benchmark_group(name: str, org_type: str, size_rank: float) -> str:
    """The publication's BENCHMARK_GROUP, from the trust's type, name and relative size."""
    if org_type == "Mental Health":
        return "Care Trust" if "Care" in name and "Partnership" not in name else "Mental Health and Learning Disability"
    if org_type == "Ambulance":
        return "Ambulance Trust"
    if org_type != "Acute":
        return org_type
    lowered = name.lower()
    if any(k in lowered for k in ("orthopaedic", "papworth", "children", "marsden", "moorfields", "christie",
                                  "clatterbridge", "women", "heart", "cancer", "walton", "brompton")):
        return "Acute - Specialist"
    if "teaching" in lowered or ("university" in lowered and size_rank > 0.5):
        return "Acute - Teaching"
    if "health and care" in lowered or "community" in lowered:
        return "Acute - Multi-Service"
    return "Acute - Large" if size_rank > 0.66 else "Acute - Medium" if size_rank > 0.33 else "Acute - Small"


def _load_icbs(sc: Scenario) -> dict[str, Icb]:
    icbs: dict[str, Icb] = {}
    for row in read_csv(ICB_SEED):  # later rows (re-coded ONS codes) supersede earlier ones; names are the same
        icbs[row["icb_code"]] = Icb(row["icb_code"], row["icb_name"], row["icb_long_name"],
                                    row["region_code"], row["region_name"])
    if sc.new_icb not in icbs:
        region = icbs[sc.merging_icbs[0]]
        icbs[sc.new_icb] = Icb(sc.new_icb, sc.new_icb_name, f"NHS {sc.new_icb_name} Integrated Care Board",
                               region.region_code, region.region_name)
    return icbs


def _select_trusts(scale: Scale, sc: Scenario, cal: Calendar) -> list[dict[str, str]]:
    """Trusts open at the start of the data; for tiny, the scenario's ICBs with two trusts each."""
    trusts = [t for t in read_csv(TRUSTS_CSV) if day(t["open_date"]) <= cal.first_day]
    if scale.trusts_per_icb is None:
        return sorted(trusts, key=lambda t: t["org_code"])
    icbs = {*sc.merging_icbs, sc.move_from, sc.move_to}
    must = {sc.absorbed_trust, sc.absorbing_trust, sc.moving_trust}
    chosen = [t for t in trusts if t["org_code"] in must]
    for icb in sorted(icbs):
        have = sum(t["icb_code"] == icb for t in chosen)
        extra = [t for t in sorted(trusts, key=lambda t: t["org_code"]) if t["icb_code"] == icb and t not in chosen]
        chosen += extra[: max(0, scale.trusts_per_icb - have)]
    return sorted(chosen, key=lambda t: t["org_code"])


def _initial_sizes(scale: Scale, kinds: list[str], types: list[str], rng: np.random.Generator) -> np.ndarray:
    """Headcount at the start: scaled down for tiny/demo, realistic (summing to ~1.4M) for national."""
    if scale.name == "tiny":
        lo_hi = {"trust": (30, 60), "icb": (15, 25), "csu": (20, 30)}
        return np.array([rng.integers(*lo_hi[k], endpoint=True) for k in kinds])
    median = {"Acute": 6500, "Mental Health": 3800, "Community Provider Trust": 2600, "Ambulance": 4500,
              "Integrated Care Board": 550, "Commissioning Support Unit": 1500}
    spread = {"Acute": 0.5, "Mental Health": 0.4, "Community Provider Trust": 0.5, "Ambulance": 0.3,
              "Integrated Care Board": 0.3, "Commissioning Support Unit": 0.2}
    raw = np.array([median[t] * np.exp(spread[t] * rng.standard_normal()) for t in types])
    if scale.name == "demo":
        # Same relative sizes, squeezed into 80-400 staff per trust to keep the demo small.
        trust = np.array([k == "trust" for k in kinds])
        scaled = np.where(trust, 80 + 260 * (np.log(raw) - np.log(1000)) / (np.log(20000) - np.log(1000)),
                          np.where(np.array(types) == "Integrated Care Board", raw / 12, raw / 18))
        return np.clip(np.round(scaled), np.where(trust, 80, 30), np.where(trust, 400, 120)).astype(np.int64)
    trust = np.array([k == "trust" for k in kinds])
    others = raw[~trust].sum()
    raw[trust] *= (NATIONAL_STAFF - others) / raw[trust].sum()
    return np.round(raw).astype(np.int64)


def build_world(scale_name: str, seed: int) -> World:
    scale = SCALES[scale_name]
    sc = Scenario()
    cal = Calendar(scale.first_month, scale.n_months)
    rng = np.random.default_rng([seed, 7919])
    icbs = _load_icbs(sc)
    trusts = _select_trusts(scale, sc, cal)
    icb_codes = sorted({t["icb_code"] for t in trusts})
    merger_m = int(cal.month_of(np.array([day(sc.icb_merger_date)]))[0])
    trust_merger_m = int(cal.month_of(np.array([day(sc.trust_merger_date)]))[0])

    # (code, name, kind, org_type, region, home icb, open date, first month, last month)
    rows: list[tuple[str, str, str, str, str, str, str, int, int]] = []
    for t in trusts:
        last = trust_merger_m if t["org_code"] == sc.absorbed_trust else cal.n
        rows.append((t["org_code"], t["org_name"], "trust", t["org_type"], t["region_code"], t["icb_code"],
                     t["open_date"], 0, last))
    for code in icb_codes:
        last = merger_m if code in sc.merging_icbs else cal.n
        rows.append((code, f"NHS {icbs[code].name} ICB", "icb", "Integrated Care Board", icbs[code].region_code,
                     code, "", 0, last))
    rows.append((sc.new_icb, f"NHS {icbs[sc.new_icb].name} ICB", "icb", "Integrated Care Board",
                 icbs[sc.new_icb].region_code, sc.new_icb, "", merger_m, cal.n))
    for code, name in CSUS[: scale.n_csus]:
        rows.append((code, name, "csu", "Commissioning Support Unit", QZZ, QZZ, "", 0, cal.n))

    kinds, types = [r[2] for r in rows], [r[3] for r in rows]
    sizes = _initial_sizes(scale, kinds, types, rng)
    sizes[[i for i, r in enumerate(rows) if r[0] == sc.new_icb]] = 0  # created by the merger: no staff of its own
    acute = [i for i, r in enumerate(rows) if r[3] == "Acute"]
    ranks = {i: k / max(1, len(acute) - 1) for k, i in enumerate(sorted(acute, key=lambda i: sizes[i]))}
    orgs = {r[0]: Org(r[0], r[1], r[2], r[3], _benchmark_group(r[1], r[3], ranks.get(i, 0.5))
                      if r[2] == "trust" else r[3], r[4], r[5], r[6], int(sizes[i]), r[7], r[8])
            for i, r in enumerate(rows)}

    # Latent strain: an ICS component shared by its organisations plus an organisation component.
    # Two ICSs and a few organisations are made clearly worse, and one ICS deteriorates over the last year,
    # so rankings, spreads and SPC signals have something to find.
    ics_strain = {c: float(rng.normal(0.0, 0.55)) for c in icb_codes}
    for c in sorted(icb_codes, key=lambda c: -ics_strain[c])[:2]:
        ics_strain[c] += 0.6
    eligible = [c for c in icb_codes if c not in sc.merging_icbs]
    deteriorating = eligible[int(rng.integers(len(eligible)))]
    org_dev = {code: float(rng.normal(0.0, 0.45)) for code in orgs}
    for code in rng.choice(sorted(orgs), size=max(1, len(orgs) // 40), replace=False):
        org_dev[str(code)] += 1.0
    ramp = np.clip((np.arange(cal.n) - (cal.n - 13)) / 12.0, 0.0, 1.0) * 1.1
    strain: dict[str, np.ndarray] = {}
    for code, org in orgs.items():
        if org.kind == "csu":
            base = np.full(cal.n, org_dev[code] * 0.6)
        elif code == sc.new_icb:
            base = np.full(cal.n, np.mean([ics_strain[c] + org_dev[c] for c in sc.merging_icbs if c in ics_strain]))
        else:
            base = np.full(cal.n, ics_strain[org.home_icb] + org_dev[code])
            if org.home_icb == deteriorating:
                base = base + ramp
        strain[code] = base
    ics_strain[sc.new_icb] = float(np.mean([ics_strain[c] for c in sc.merging_icbs]))

    world = World(scale, seed, cal, sc, icbs, orgs, [], strain, ics_strain, deteriorating, scale.survey_years)
    world.units = _units(world, merger_m, trust_merger_m)
    return world


def _units(world: World, merger_m: int, trust_merger_m: int) -> list[Unit]:
    """Group organisations whose staff transfer between them; each group is simulated as one population."""
    sc, n = world.scenario, world.calendar.n
    groups = [
        ((sc.absorbing_trust, sc.absorbed_trust), {sc.absorbed_trust: (sc.absorbing_trust, trust_merger_m)}),
        ((*sc.merging_icbs, sc.new_icb), {c: (sc.new_icb, merger_m) for c in sc.merging_icbs}),
    ]
    grouped = {c for codes, _ in groups for c in codes}
    groups += [((c,), {}) for c in sorted(world.orgs) if c not in grouped]
    units = []
    for codes, transfers in sorted(groups, key=lambda g: g[0][0]):
        units.append(Unit(len(units), codes,
                          tuple(codes.index(transfers[c][0]) if c in transfers else i for i, c in enumerate(codes)),
                          tuple(transfers[c][1] if c in transfers else n for c in codes)))
    return units
