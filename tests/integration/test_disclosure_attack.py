"""The differencing attack (expectations/attack.py) against disclosure control: the attacker itself, the real dbt
disclosure models on scenarios that exercise every relation, the published tiny warehouse, and the mart gate
blocking a publish that fails the attack or shows a non-finite number."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from expectations.attack import Relation, System, attack, attack_frame, peel, pinned_by_combination, social_care_systems
from expectations.contract import load_manifest, mart_contracts
from expectations.disclosure import thresholds as disclosure_limits
from expectations.marts import FINITE_RULE, validate_contract, validate_disclosure
from expectations.runner import Gate
from expectations.suites import mart_rules
from pipelines.project import dbt_project
from tests.conftest import copy_home
from tests.fixtures.warehouse import dbt

# --- the attacker -----------------------------------------------------------------------------------------

def test_peeling_solves_one_unknown_at_a_time_until_nothing_changes():
    """ICS 100 = A + B + C with A withheld and B its complement: safe alone. But B = its staff groups 30 + 10,
    both published: B = 40 falls out, and then A = 100 - 40 - 50 = 10."""
    values = {"ics": 100.0, "A": None, "B": None, "C": 50.0, "B1": 30.0, "B2": 10.0}
    relations = (Relation("ics", ("A", "B", "C")), Relation("B", ("B1", "B2")))
    assert peel(values, relations) == {"B": 40.0, "A": 10.0}
    assert peel(values, relations[:1]) == {}


def test_a_combination_of_relations_pins_down_an_organisation_that_moved():
    """M moved from QDD to QEE. QDD as_at = M + G + H and QDD current = G + H, with M, G and H withheld: no
    relation has one unknown, yet as_at - current = M. Withholding the current total as well protects M."""
    values = {"QDD_as_at": 5100.0, "QDD_current": 5000.0, "M": None, "G": None, "H": None}
    relations = (Relation("QDD_as_at", ("M", "G", "H")), Relation("QDD_current", ("G", "H")))
    assert peel(values, relations) == {}
    assert pinned_by_combination(values, relations) == {"M"}
    assert pinned_by_combination({**values, "QDD_current": None}, relations) == set()
    # one relation over several unknowns pins none of them (taken without a decomposition); over one, it pins it
    assert pinned_by_combination(values, relations[:1]) == set()
    assert pinned_by_combination({**values, "G": 3.0, "H": None}, (Relation("QDD_current", ("G", "H")),)) == {"H"}


def test_only_withheld_cells_count_as_recovered():
    """A pulse count hidden only because its row is withheld for the Staff Survey is unknown, not a secret."""
    system = System("pulse", {"ics": 30.0, "A": None, "B": 20.0}, (Relation("ics", ("A", "B")),), frozenset())
    assert attack(system) == []
    assert [r.cell for r in attack(System("pulse", system.values, system.relations))] == ["A"]


# --- the real disclosure models on scenarios ----------------------------------------------------------------

def _run_model(db: Path, model: str, tables: dict[str, str], passes: int | None = None):
    """Create the model's parents from `tables` (name -> select) and run the one model with dbt."""
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists intermediate")
        for name, select in tables.items():
            con.execute(f"create or replace table intermediate.{name} as {select}")
    result = dbt(db, "run", "--select", model, variables={"disclosure_passes": passes} if passes else None)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select * from intermediate.{model}").df()


SICKNESS_ORGS = {"A": 300, "B": 1000, "C": 5000, "D": 300, "E": 150, "F": 160, "M": 100, "G": 2000, "H": 3000,
                 "K": 4000, "L": 5000, "Z": 90}
SICKNESS_STAFF_GROUPS = [("B", "Nurses", 600), ("B", "Admin", 400), ("D", "Nurses", 300), ("C", "Nurses", 200),
                         ("C", "Admin", 4800)]
# (org, ICS as at April 2024, ICS today): M moved from QDD to QEE; Z is outside any ICS
SICKNESS_PLACEMENT = [("A", "QAA", "QAA"), ("B", "QAA", "QAA"), ("C", "QAA", "QAA"), ("D", "QBB", "QBB"),
                      ("E", "QCC", "QCC"), ("F", "QCC", "QCC"), ("M", "QDD", "QEE"), ("G", "QDD", "QDD"),
                      ("H", "QDD", "QDD"), ("K", "QEE", "QEE"), ("L", "QEE", "QEE")]


def _values(rows) -> str:
    return "select * from (values " + ", ".join(
        "(" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in row) + ")" for row in rows) + ")"


def sickness_scenario(db: Path, passes: int | None = None) -> System:
    ics_days = {}
    for org, as_at, current in SICKNESS_PLACEMENT:
        for basis, icb in (("as_at", as_at), ("current", current)):
            ics_days[(icb, basis)] = ics_days.get((icb, basis), 0) + SICKNESS_ORGS[org]
    placement = [(o, basis, icb) for o, a, c in SICKNESS_PLACEMENT for basis, icb in (("as_at", a), ("current", c))]
    out = _run_model(db, "int_sickness__disclosure", {
        "int_sickness__org_monthly": _values([(o, d) for o, d in SICKNESS_ORGS.items()]).replace(
            "select * from",
            "select col0 as org_code, date '2024-04-01' as period_month, col1::double as fte_days_available from"),
        "int_sickness__org_staff_group_monthly": _values(SICKNESS_STAFF_GROUPS).replace(
            "select * from", "select col0 as org_code, date '2024-04-01' as period_month, col1 as staff_group, "
                             "col2::double as fte_days_available from"),
        "int_sickness__ics_monthly": _values([(i, b, d) for (i, b), d in ics_days.items()]).replace(
            "select * from", "select col0 as icb_code, col1 as boundary_basis, date '2024-04-01' as period_month, "
                             "col2::double as fte_days_available from"),
        "int_sickness__org_placement": _values(placement).replace(
            "select * from", "select col0 as org_code, date '2024-04-01' as period_month, col1 as boundary_basis, "
                             "col2 as icb_code from"),
    }, passes)
    withheld = {}
    for r in out.itertuples():
        if r.cell_level == "organisation":
            withheld[f"org|{r.org_code}"] = r.suppressed
        elif r.cell_level == "staff_group":
            withheld[f"sg|{r.org_code}|{r.staff_group}"] = r.suppressed
        elif r.cell_level == "ics":
            withheld[f"ics|{r.boundary_basis}|{r.icb_code}"] = r.suppressed
        else:
            withheld[f"england|{r.boundary_basis}"] = r.suppressed
    truth = {f"org|{o}": d for o, d in SICKNESS_ORGS.items()}
    truth |= {f"sg|{o}|{g}": d for o, g, d in SICKNESS_STAFF_GROUPS}
    truth |= {f"ics|{b}|{i}": d for (i, b), d in ics_days.items()}
    truth |= {f"england|{b}": sum(d for (_, bb), d in ics_days.items() if bb == b) for b in ("as_at", "current")}
    relations = [Relation(f"org|{o}", tuple(f"sg|{o}|{g}" for oo, g, _ in SICKNESS_STAFF_GROUPS if oo == o))
                 for o in {o for o, _, _ in SICKNESS_STAFF_GROUPS}]
    relations += [Relation(f"ics|{b}|{i}", tuple(f"org|{o}" for o, bb, ii in placement if (ii, bb) == (i, b)))
                  for (i, b) in ics_days]
    relations += [Relation(f"england|{b}", tuple(f"ics|{bb}|{i}" for (i, bb) in ics_days if bb == b))
                  for b in ("as_at", "current")]
    assert set(withheld) == set(truth), "every cell comes out of disclosure control once"
    values = {cell: (None if withheld[cell] else float(value)) for cell, value in truth.items()}
    return System("sickness days available", values, tuple(relations))


def test_sickness_disclosure_survives_the_attack_on_every_relation(tmp_path):
    """A small organisation in an ICS whose complement has staff groups (QAA, where C's small staff group needs
    a complement of its own), a small organisation alone in its ICS (QBB), an ICS below the threshold itself
    (QCC), an organisation that moved ICS (QDD -> QEE) and a small body outside any ICS (Z)."""
    system = sickness_scenario(tmp_path / "build.duckdb")
    assert attack(system) == []
    withheld = {cell for cell, value in system.values.items() if value is None}
    assert {"org|A", "org|B", "sg|B|Admin", "sg|C|Admin", "org|D", "ics|as_at|QBB", "ics|current|QCC", "org|M",
            "ics|current|QDD", "ics|as_at|QEE", "org|Z"} <= withheld


def test_one_pass_of_complementary_suppression_is_not_enough(tmp_path):
    """The same scenario with a single pass: the attacker works withheld cells out, so the test has teeth."""
    recovered = {r.cell for r in attack(sickness_scenario(tmp_path / "build.duckdb", passes=1))}
    assert "org|A" in recovered or "org|D" in recovered or "org|M" in recovered


def test_survey_disclosure_survives_the_attack(tmp_path):
    """A small survey organisation (A in X), an organisation that moved ICS between fieldwork and today (J: V ->
    W), a small ICS (Z, one small member) and a small pulse cell (B's pulse in X)."""
    staff = {"A": 5, "B": 30, "C": 20, "G": 5, "J": 6, "K": 100, "L": 50, "M": 25, "N": 60}
    pulse = {"A": 12, "B": 9}
    placement = [("A", "X", "X"), ("B", "X", "X"), ("C", "X", "X"), ("G", "Z", "Z"), ("J", "V", "W"),
                 ("K", "V", "V"), ("L", "V", "V"), ("M", "W", "W"), ("N", "W", "W")]
    rows = [(o, b, i) for o, a, c in placement for b, i in (("as_at", a), ("current", c))]
    out = _run_model(tmp_path / "build.duckdb", "int_survey__disclosure", {
        "int_survey__org_yearly": _values(list(staff.items())).replace(
            "select * from", "select col0 as org_code, 2024 as survey_year, col1 as n_respondents from"),
        "int_pulse__org_yearly": _values(list(pulse.items())).replace(
            "select * from", "select col0 as org_code, 2024 as pulse_year, col1 as pulse_n_responses from"),
        "int_survey__org_boundaries": _values(rows).replace(
            "select * from", "select col0 as org_code, 2024 as survey_year, col1 as boundary_basis, col2 as icb_code from"),
    })
    for series, counts in (("staff_survey", staff), ("pulse", pulse)):
        cells = out[out.series == series]
        values, relations = {}, {}
        for r in cells.itertuples():
            if r.cell_level == "organisation":
                values[f"org|{r.org_code}"] = None if r.suppressed else float(counts[r.org_code])
            else:
                values[f"ics|{r.boundary_basis}|{r.icb_code}"] = None if r.suppressed else float(r.n_responses)
        for o, b, i in rows:
            if o in counts:
                relations.setdefault(f"ics|{b}|{i}", []).append(f"org|{o}")
        system = System(series, values, tuple(Relation(t, tuple(p)) for t, p in relations.items()))
        assert attack(system) == [], series
    assert set(out[out.suppressed & (out.cell_level == "ics")].icb_code) >= {"Z", "V", "W"}


# (council, workers, filled posts, {2022 ICB: population share}); L3 is a council withheld in QXX; QMA holds a
# fifth of L7 (8 workers: a withheld ICS) and merged with QMB into QMN
SOCIAL_CARE_COUNCILS = [("L1", 900, 1000, {"QXX": 1.0}), ("L3", 8, 9, {"QXX": 1.0}),
                        ("L2", 380, 400, {"QXX": 0.5, "QYY": 0.5}), ("L7", 40, 50, {"QMA": 0.2, "QMB": 0.8})]
SOCIAL_CARE_TODAY = {"QXX": "QXX", "QYY": "QYY", "QMA": "QMN", "QMB": "QMN"}


def social_care_scenario(db: Path, passes: int | None = None) -> list[System]:
    """The real ics_social_care on the councils above, attacked as the mart gate attacks it."""
    parts = [(la, 2024, basis, icb if basis == "as_at" else SOCIAL_CARE_TODAY[icb], icb, share, workers < 10,
              posts, workers, 20.0, posts * share)
             for la, workers, posts, shares in SOCIAL_CARE_COUNCILS for icb, share in shares.items()
             for basis in ("as_at", "current")]
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists intermediate")
        con.execute("create schema if not exists marts")
        con.execute("create table intermediate.int_social_care__council_icb (la_code varchar, year integer, "
                    "boundary_basis varchar, icb_code varchar, share_icb_code varchar, share double, withheld boolean, "
                    "filled_posts double, n_workers double, turnover_rate double, weight double, vacancy_rate double, "
                    "sickness_days_per_worker double)")
        con.executemany("insert into intermediate.int_social_care__council_icb values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null)", parts)
        con.execute("create table marts.dim_ics as select * from (values " + ", ".join(
            f"('{icb}', '{icb}', 'Y56', date '2022-07-01')" for icb in {*SOCIAL_CARE_TODAY, *SOCIAL_CARE_TODAY.values()})
            + ") as t (icb_code, icb_name, region_code, valid_from)")
    result = dbt(db, "run", "--select", "ics_social_care",
                 variables=None if passes is None else {"disclosure_passes": passes})
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        return social_care_systems(con)


def test_social_care_disclosure_survives_the_attack(tmp_path):
    """A council withheld in its ICS (L3 in QXX) enters no published sum; the small ICS QMA is withheld, and QMN
    today (= QMA + QMB of 2022) is published, so QMB is withheld as its complement."""
    posts, workers = social_care_scenario(tmp_path / "build.duckdb")
    assert attack(posts) == [] and attack(workers) == []
    assert {"council|L3|QXX|2024|filled_posts", "ics|as_at|QMA|2024|filled_posts",
            "ics|as_at|QMB|2024|filled_posts"} <= posts.secrets
    assert posts.values["ics|current|QMN|2024|filled_posts"] == 50.0
    assert posts.values["ics|as_at|QXX|2024|filled_posts"] == 1200.0  # L1 and half of L2, without L3


def test_without_its_complement_a_withheld_social_care_ics_is_recovered(tmp_path):
    """The same scenario with no complementary pass: QMN - QMB gives the withheld QMA away, so the test has teeth."""
    recovered = {r.cell for system in social_care_scenario(tmp_path / "build.duckdb", passes=0)
                 for r in attack(system)}
    assert {"ics|as_at|QMA|2024|filled_posts", "ics|as_at|QMA|2024|n_workers"} <= recovered


# --- the published tiny warehouse and the mart gate ---------------------------------------------------------

def test_the_published_tiny_warehouse_survives_the_attack(published_tiny):
    with duckdb.connect(str(published_tiny.build_db), read_only=True) as con:
        for table in ("ics_sickness_monthly", "ics_psychological_safety", "ics_social_care"):
            frame, notes = attack_frame(con, table)
            assert notes == (), notes  # the attacker's relations are the marts' own: every known total adds up
            assert frame.recovered_by.isna().all(), frame[frame.recovered_by.notna()].head()


@pytest.fixture
def gate_home(published_tiny, tmp_path, monkeypatch):
    return copy_home(published_tiny, tmp_path / "home", monkeypatch)


def test_the_mart_gate_blocks_a_publish_the_attacker_breaks(gate_home, tmp_path):
    """Withhold one organisation-month with no complement: ICS total minus the others gives it away."""
    contracts = mart_contracts(load_manifest(dbt_project.manifest_path))
    limits = disclosure_limits({})
    with duckdb.connect(str(gate_home.build_db)) as con:
        gate = Gate("test", tmp_path / "docs", "test-run")
        assert validate_disclosure(con, gate, contracts["ics_sickness_monthly"], limits).success
        # an organisation-month in an ICS-month (as at) where nothing is withheld yet
        org, month = con.execute("""
            with members as (
                select p.org_code, p.period_month, p.icb_code,
                    bool_or(o.suppressed) over (partition by p.icb_code, p.period_month) as any_withheld
                from intermediate.int_sickness__org_placement as p
                inner join marts.org_sickness_monthly as o using (org_code, period_month)
                where p.boundary_basis = 'as_at' and o.staff_group = 'All staff groups'
            )
            select m.org_code, m.period_month from members as m
            inner join marts.ics_sickness_monthly as i
                on i.icb_code = m.icb_code and i.period_month = m.period_month and i.boundary_basis = 'as_at'
            where not m.any_withheld and not i.suppressed
            order by m.period_month, m.org_code limit 1""").fetchone()
        con.execute("""update marts.org_sickness_monthly set suppressed = true, fte_days_lost = null,
            fte_days_available = null, sickness_rate = null where org_code = ? and period_month = ?""", [org, month])
        verdict = validate_disclosure(con, gate, contracts["ics_sickness_monthly"], limits)
    [failure] = verdict.failures
    assert failure.column == "(withheld cells)" and "differencing attack" in failure.rule
    assert any(f"org|{org}|{month}" in example for example in failure.examples)


def test_the_mart_gate_blocks_a_nan_or_infinity_in_a_mart(gate_home, tmp_path):
    contracts = mart_contracts(load_manifest(dbt_project.manifest_path))
    rules = mart_rules("QZZ")
    with duckdb.connect(str(gate_home.build_db)) as con:
        gate = Gate("test", tmp_path / "docs", "test-run")
        assert validate_contract(con, gate, contracts["ics_turnover_monthly"], rules).success
        con.execute("update marts.ics_turnover_monthly set leaver_rate = 'nan'::double, "
                    "joiner_rate = 'inf'::double where rowid = 0")
        verdict = validate_contract(con, gate, contracts["ics_turnover_monthly"], rules)
    [failed] = [f for f in verdict.failures if f.rule == FINITE_RULE]
    assert failed.failing.startswith("1 of ")
    [example] = failed.examples  # the row's key, then the numbers that are not finite, by name
    assert example.startswith("icb_code=") and example.endswith("not_finite=leaver_rate, joiner_rate")
