"""The differencing attack on published figures (METRICS.md, disclosure control), in one place for the mart gate
and the tests.

An attacker knows every published cell and every additive relation between cells (a total = the sum of its
parts): an organisation's sickness days = the sum of its staff groups', an ICS's = the sum of its organisations'
on each boundary basis, an ICS's survey responses = the sum of its organisations', an ICS's social care filled
posts and turnover weight = the sum of its councils' parts (filled posts x population share) on each basis. Withheld cells are the
unknowns. The attacker solves every relation with exactly one unknown, puts the value back and repeats until
nothing changes (`peel`); then, more strongly, asks whether any unknown is pinned down by a combination of
relations (`pinned_by_combination`, linear algebra on what is left). Either way a withheld cell it can solve is a
disclosure.

Which organisation cells each ICS total adds up is read from the build database's placement tables (the truth
the marts were built from: the strongest attacker); every value comes from the published marts.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

# relative difference above which a relation whose cells are all published "does not add up" (reported; the
# attacker still uses it: an approximate value of a withheld cell is a disclosure too)
TOLERANCE = 1e-6
# components of more unknowns than this are too large for the rank test and are reported as such
MAX_COMPONENT = 2000


@dataclass(frozen=True)
class Relation:
    """total = sum(parts)."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class System:
    """One published measure: each cell's published value (None when not shown), its additive relations, and the
    withheld cells (secrets): a cell hidden only because its row is withheld for another measure is unknown to
    the attacker but no secret of its own."""

    name: str
    values: dict[str, float | None]
    relations: tuple[Relation, ...]
    secrets: frozenset[str] | None = None  # None: every unknown cell is a secret

    def is_secret(self, cell: str) -> bool:
        return self.values.get(cell) is None if self.secrets is None else cell in self.secrets


@dataclass(frozen=True)
class Recovery:
    system: str
    cell: str
    how: str  # "single unknown" or "combination"
    value: float | None


def _terms(relation: Relation) -> list[tuple[str, float]]:
    """The relation as sum(coefficient x cell) = 0."""
    return [(relation.total, 1.0)] + [(part, -1.0) for part in relation.parts]


def peel(values: dict[str, float | None], relations: tuple[Relation, ...]) -> dict[str, float]:
    """Solve every relation with exactly one unknown, repeatedly, until nothing changes: the cells recovered."""
    known = {cell: value for cell, value in values.items() if value is not None}
    recovered: dict[str, float] = {}
    by_cell = defaultdict(list)
    for relation in relations:
        for cell, _ in _terms(relation):
            by_cell[cell].append(relation)
    pending = list(relations)
    while pending:
        touched = []
        for relation in pending:
            terms = [(cell, coefficient) for cell, coefficient in _terms(relation) if cell in values]
            unknown = [(cell, coefficient) for cell, coefficient in terms if cell not in known]
            if len(unknown) != 1:
                continue
            cell, coefficient = unknown[0]
            rest = sum(c * known[x] for x, c in terms if x != cell)
            known[cell] = recovered[cell] = -rest / coefficient
            touched += by_cell[cell]
        pending = list({id(r): r for r in touched}.values())
    return recovered


def pinned_by_combination(values: dict[str, float | None], relations: tuple[Relation, ...]) -> set[str]:
    """Unknown cells that some linear combination of the relations determines (after peeling).

    A cell x_j is determined when the unit vector e_j lies in the row space of the relations restricted to
    the unknowns, i.e. when it is orthogonal to their null space: row j of a null-space basis is zero. Done per
    connected group of unknowns, one singular value decomposition each.
    """
    import numpy as np

    known = {cell for cell, value in values.items() if value is not None}
    rows = []
    for relation in relations:
        unknown = {cell: coefficient for cell, coefficient in _terms(relation) if cell in values and cell not in known}
        if unknown:
            rows.append(unknown)
    # connected components of unknowns sharing a relation
    parent: dict[str, str] = {}

    def find(cell: str) -> str:
        while parent.setdefault(cell, cell) != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for row in rows:
        first, *others = row
        for other in others:
            parent[find(other)] = find(first)
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for row in rows:
        groups[find(next(iter(row)))].append(row)
    pinned = set()
    for group_rows in groups.values():
        if len(group_rows) == 1 and len(group_rows[0]) > 1:
            continue  # one relation over several unknowns (none with a zero coefficient) pins none of them
        cells = sorted({cell for row in group_rows for cell in row})
        if len(cells) > MAX_COMPONENT:
            raise ValueError(f"{len(cells)} linked withheld cells: too many for the combination attack")
        index = {cell: i for i, cell in enumerate(cells)}
        matrix = np.zeros((len(group_rows), len(cells)))
        for r, row in enumerate(group_rows):
            for cell, coefficient in row.items():
                matrix[r, index[cell]] += coefficient
        _, singular, vh = np.linalg.svd(matrix)
        rank = int((singular > singular.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps).sum())
        if rank == 0:
            continue
        null_space = vh[rank:].T  # one row per cell
        for cell, j in index.items():
            if not null_space.shape[1] or np.abs(null_space[j]).max() < 1e-9:
                pinned.add(cell)
    return pinned


def inconsistent(values: dict[str, float | None], relations: tuple[Relation, ...]) -> list[Relation]:
    """Relations whose cells are all published but do not add up: the attack's model of the marts is wrong."""
    out = []
    for relation in relations:
        cells = [relation.total, *relation.parts]
        if all(values.get(cell) is not None for cell in cells):
            total = values[relation.total]
            if abs(total - sum(values[p] for p in relation.parts)) > TOLERANCE * max(1.0, abs(total)):
                out.append(relation)
    return out


def attack(system: System) -> list[Recovery]:
    """Every withheld cell of the system the attacker can work out."""
    relations = tuple(r for r in system.relations if r.total in system.values and r.parts)
    recovered = peel(system.values, relations)
    out = [Recovery(system.name, cell, "single unknown", value)
           for cell, value in sorted(recovered.items()) if system.is_secret(cell)]
    after = {**system.values, **recovered}
    out += [Recovery(system.name, cell, "combination", None)
            for cell in sorted(pinned_by_combination(after, relations)) if system.is_secret(cell)]
    return out


# --- the published relations ------------------------------------------------------------------------------

def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def sickness_systems(con) -> list[System]:
    """FTE days available and lost: organisation = staff groups; ICS (each basis) = organisations; England (each
    basis, where national_sickness_monthly is built) = ICSs."""
    org = _rows(con, """
        select org_code, period_month::varchar, staff_group, fte_days_available, fte_days_lost
        from marts.org_sickness_monthly""")
    ics = _rows(con, """
        select icb_code, period_month::varchar, boundary_basis, fte_days_available, fte_days_lost
        from marts.ics_sickness_monthly""")
    placement = _rows(con, """
        select org_code, period_month::varchar, boundary_basis, icb_code from intermediate.int_sickness__org_placement""")
    all_staff = {r[2] for r in org if r[2].lower() == "all staff groups"} or {"All staff groups"}

    def org_cell(code, month):
        return f"org|{code}|{month}"

    staff_groups = defaultdict(list)
    for code, month, group, *_ in org:
        if group not in all_staff:
            staff_groups[org_cell(code, month)].append(f"staff_group|{code}|{month}|{group}")
    members = defaultdict(list)
    for code, month, basis, icb in placement:
        members[f"ics|{basis}|{icb}|{month}"].append(org_cell(code, month))
    has_england = bool(_rows(con, "select 1 from information_schema.tables where table_schema = 'marts' "
                                  "and table_name = 'national_sickness_monthly' and table_catalog = current_database()"))
    england = _rows(con, """
        select boundary_basis, period_month::varchar, fte_days_available, fte_days_lost
        from marts.national_sickness_monthly""") if has_england else []
    regions = defaultdict(list)
    for row in ics if has_england else []:
        regions[f"england|{row[2]}|{row[1]}"].append(f"ics|{row[2]}|{row[0]}|{row[1]}")
    relations = tuple([Relation(total, tuple(parts)) for total, parts in staff_groups.items()]
                      + [Relation(total, tuple(parts)) for total, parts in members.items()]
                      + [Relation(total, tuple(parts)) for total, parts in regions.items()])
    systems = []
    for position, measure in ((3, "fte_days_available"), (4, "fte_days_lost")):
        values: dict[str, float | None] = {}
        for row in org:
            code, month, group = row[:3]
            cell = org_cell(code, month) if group in all_staff else f"staff_group|{code}|{month}|{group}"
            values[cell] = row[position]
        for row in ics:
            values[f"ics|{row[2]}|{row[0]}|{row[1]}"] = row[position]
        for row in england:
            values[f"england|{row[0]}|{row[1]}"] = row[position - 1]
        systems.append(System(f"sickness {measure}", values, relations))
    return systems


def survey_systems(con) -> list[System]:
    """Staff Survey respondents and pulse responses: ICS (each basis) = organisations."""
    placement = _rows(con, "select org_code, survey_year, boundary_basis, icb_code from intermediate.int_survey__org_boundaries")
    staff = _rows(con, "select org_code, survey_year, n_respondents, suppressed from marts.org_psychological_safety")
    pulse = _rows(con, "select org_code, pulse_year, pulse_n_responses, suppressed from marts.org_pulse_survey")
    ics = _rows(con, """
        select s.icb_code, s.year, s.boundary_basis, s.n_respondents, s.suppressed, p.pulse_n_responses, p.suppressed
        from (select icb_code, survey_year as year, boundary_basis, n_respondents, suppressed
              from marts.ics_psychological_safety) as s
        full join (select icb_code, pulse_year as year, boundary_basis, pulse_n_responses, suppressed
                   from marts.ics_pulse_survey) as p using (icb_code, year, boundary_basis)""")
    systems = []
    for series in ("staff_survey", "pulse"):
        values: dict[str, float | None] = {}
        secrets = set()
        for code, year, n, suppressed in staff if series == "staff_survey" else pulse:
            cell = f"org|{code}|{year}"
            values[cell] = n
            if suppressed:
                secrets.add(cell)
        members = defaultdict(list)
        for code, year, basis, icb in placement:
            if f"org|{code}|{year}" in values:
                members[f"ics|{basis}|{icb}|{year}"].append(f"org|{code}|{year}")
        for icb, year, basis, n, suppressed, pulse_n, pulse_suppressed in ics:
            cell = f"ics|{basis}|{icb}|{year}"
            if cell in members and (suppressed if series == "staff_survey" else pulse_suppressed) is not None:
                values[cell] = n if series == "staff_survey" else pulse_n
                if suppressed if series == "staff_survey" else pulse_suppressed:
                    secrets.add(cell)
        relations = tuple(Relation(total, tuple(parts)) for total, parts in members.items())
        systems.append(System(f"survey {series} responses", values, relations, frozenset(secrets)))
    return systems


def social_care_systems(con) -> list[System]:
    """Filled posts (with the turnover weight, the same parts) and workers: an ICS (each basis, a 2022 ICS restated
    to today's boundaries included) = the sum of its councils' parts. Councils are never published on their own:
    every part is unknown, and a withheld council's part is a secret; so is a withheld ICS."""
    parts = _rows(con, """
        select la_code, year, boundary_basis, icb_code, share_icb_code, withheld, turnover_rate is not null
        from intermediate.int_social_care__council_icb""")
    ics = _rows(con, """
        select icb_code, year, boundary_basis, suppressed, filled_posts, turnover_weight, n_workers
        from marts.ics_social_care""")

    def ics_cell(basis, icb, year, column):
        return f"ics|{basis}|{icb}|{year}|{column}"

    def part_cell(la, share_icb, year, column):
        return f"council|{la}|{share_icb}|{year}|{column}"

    systems = []
    for name, columns in (("social care filled posts", (("filled_posts", False), ("turnover_weight", True))),
                          ("social care workers", (("n_workers", False),))):
        part_column = columns[0][0]
        values: dict[str, float | None] = {}
        secrets = set()
        members = defaultdict(list)
        for la, year, basis, icb, share_icb, withheld, has_turnover in parts:
            cell = part_cell(la, share_icb, year, part_column)
            values[cell] = None
            if withheld:
                secrets.add(cell)
                continue  # a withheld council enters no published figure
            for column, needs_turnover in columns:
                if has_turnover or not needs_turnover:
                    members[ics_cell(basis, icb, year, column)].append(cell)
        for icb, year, basis, suppressed, *measures in ics:
            for column, _ in columns:
                cell = ics_cell(basis, icb, year, column)
                values[cell] = None if suppressed else measures[("filled_posts", "turnover_weight", "n_workers").index(column)]
                if suppressed:
                    secrets.add(cell)
        relations = tuple(Relation(total, tuple(dict.fromkeys(p))) for total, p in members.items())
        systems.append(System(name, values, relations, frozenset(secrets)))
    return systems


# the mart whose disclosure check runs each family's attack (once per publish)
ATTACKS = {"ics_sickness_monthly": sickness_systems, "ics_psychological_safety": survey_systems,
           "ics_social_care": social_care_systems}


def attack_frame(con, table: str):
    """For the family this mart's check attacks: one row per withheld cell (system, cell, recovered_by: null when
    the attacker cannot work it out, else how), and notes (relations that do not add up). None when the mart
    carries no attack."""
    import pandas as pd

    builder = ATTACKS.get(table)
    if builder is None:
        return None
    rows, notes = [], []
    for system in builder(con):
        found = {r.cell: r.how for r in attack(system)}
        rows += [(system.name, cell, found.get(cell)) for cell in sorted(system.values) if system.is_secret(cell)]
        relations = tuple(r for r in system.relations if r.total in system.values and r.parts)
        wrong = inconsistent(system.values, relations)
        if wrong:
            notes.append(f"{system.name}: {len(wrong)} of {len(relations)} published totals differ from the sum of "
                         f"their published parts, e.g. {wrong[0].total}")
    return pd.DataFrame(rows, columns=["system", "cell", "recovered_by"], dtype=object), tuple(notes)
