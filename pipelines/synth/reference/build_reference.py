"""Regenerate the small reference tables derived from real published data.

Maintainer tool, not part of the pipeline: the pipeline never reads the real
published files. It reads only the small derived CSVs this script writes, which
are committed to the repository:

    dbt/seeds/ref_icb.csv                       ICBs (ODS + ONS codes, validity)
    pipelines/synth/reference/trusts.csv        open English NHS trusts (synthetic generator)
    dbt/seeds/ref_ccg21_icb.csv                 2021 CCG -> STP/ICS
    dbt/seeds/ref_la_icb_share.csv              local authority -> ICB population shares
    dbt/seeds/survey_question_crosswalk.csv     NHS Staff Survey item crosswalk 2021-2025

Usage:

    python pipelines/synth/reference/build_reference.py REALDATA_DIR [--repo-root DIR]

REALDATA_DIR is the folder of real published files described in its PROVENANCE.md
(sub-folders ons_lsoa_icb_lad_lookups/, nhs_sickness_absence_org_monthly/,
nhs_workforce_turnover_benchmarking/, ods_etr_2025/, ons_ccg21_stp21_lookup/,
nhs_staff_survey_question_reference/). Only the Python standard library is used.
Output is deterministic: UTF-8, LF line endings, a header row, rows sorted on the key.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import re
import sys
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

# Date the July 2022 ICBs were established.
ICB_START = date(2022, 7, 1)
# ONS re-coded Surrey Heartlands and Sussex (E54000052/53 -> E54000063/64) in April 2023,
# when four Chichester LSOAs moved from Surrey Heartlands to Sussex. The two lookups we hold
# (July 2022 and April 2024) only show that the codes differ; the date comes from the design
# (SOURCES.md, "Reference data"). Any other ICB whose ONS code differs between the lookups is
# given the same date.
ONS_RECODE_DATE = date(2023, 4, 1)

ICB_COLUMNS = [
    "icb_code", "icb_ons_code", "icb_name", "icb_long_name", "region_code",
    "region_name", "valid_from", "valid_to", "successor_icb_code",
]
TRUST_COLUMNS = ["org_code", "org_name", "org_type", "region_code", "icb_code", "open_date"]
CCG_COLUMNS = ["ccg_code", "ccg_ons_code", "ccg_name", "icb_code", "icb_ons_code"]
LA_SHARE_COLUMNS = ["la_code", "la_name", "icb_code", "icb_ons_code", "share"]
CROSSWALK_COLUMNS = ["item_key", "survey_year", "question_code", "wording", "scale", "positive_options"]

TRUST_TYPES = ("Acute", "Mental Health", "Community Provider Trust", "Ambulance")
PSEUDO_ICS = "QZZ"  # NHS England Digital pseudo-ICS: special health authorities and other bodies
WALES = {"region": "W00", "icb": "Q99"}


# --------------------------------------------------------------------------- helpers

def read_dicts(path: Path) -> list[dict[str, str]]:
    """Read a headed CSV; utf-8-sig strips a UTF-8 BOM where there is one."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", extrasaction="raise")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if row.get(k) is None else row[k]) for k in columns})
    print(f"wrote {len(rows):>5} rows  {path.as_posix()}")


def one(values: set, what: str):
    if len(values) != 1:
        raise SystemExit(f"expected exactly one {what}, found {sorted(values)}")
    return next(iter(values))


def sickness_files(realdata: Path) -> list[Path]:
    files = sorted(Path(p) for p in glob.glob(str(realdata / "nhs_sickness_absence_org_monthly" / "nhs_sickness_absence_*.csv")))
    if not files:
        raise SystemExit("no sickness absence files found")
    return files  # names end YYYY-MM, so sorted = chronological


def turnover_files(realdata: Path) -> list[Path]:
    files = sorted(Path(p) for p in glob.glob(str(realdata / "nhs_workforce_turnover_benchmarking" / "*.csv")))
    if not files:
        raise SystemExit("no turnover benchmarking files found")
    return files


def iso(yyyymmdd: str) -> str:
    return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])).isoformat()


# --------------------------------------------------------------------------- 1. ICBs

def build_icb(realdata: Path) -> tuple[list[dict], list[str]]:
    look = realdata / "ons_lsoa_icb_lad_lookups"
    ons22: dict[str, set] = defaultdict(set)
    for r in read_dicts(look / "lookup_lsoa11_sicbl22_icb22_ltla22.csv"):
        ons22[r["icb22_code_h"]].add((r["icb22_code"], r["icb22_name"]))
    ons24: dict[str, set] = defaultdict(set)
    for r in read_dicts(look / "lookup_lsoa21_icb24.csv"):
        ons24[r["icb24_code_nhs"]].add((r["icb24_code"], r["icb24_name"]))
    if set(ons22) != set(ons24):
        raise SystemExit(f"ICB ODS codes differ between lookups: {sorted(set(ons22) ^ set(ons24))}")

    # Short ICS name and NHS England region, from the NHS England Digital files.
    nhsd: dict[str, set] = defaultdict(set)
    for path in sickness_files(realdata):
        for r in read_dicts(path):
            nhsd[r["ICS_CODE"]].add((r["ICS_NAME"], r["NHSE_REGION_CODE"], r["NHSE_REGION_NAME"]))
    for path in turnover_files(realdata):
        for r in read_dicts(path):
            nhsd[r["ICS_CODE"]].add((r["ICS_NAME"], r["NHSE_REGION_CODE"], r["NHSE_REGION_NAME"]))
    nhsd.pop(PSEUDO_ICS, None)
    if set(nhsd) != set(ons22):
        raise SystemExit(f"ICS codes differ between NHS England Digital files and ONS: {sorted(set(nhsd) ^ set(ons22))}")

    rows: list[dict] = []
    recoded: list[str] = []
    for code in sorted(ons22):
        ics_name, region_code, region_name = one(nhsd[code], f"ICS name/region for {code}")
        old_ons, old_name = one(ons22[code], f"July 2022 ONS code for {code}")
        new_ons, new_name = one(ons24[code], f"April 2024 ONS code for {code}")
        base = {"icb_code": code, "icb_name": ics_name, "region_code": region_code,
                "region_name": region_name, "successor_icb_code": ""}
        if old_ons == new_ons:
            rows.append({**base, "icb_ons_code": old_ons, "icb_long_name": new_name,
                         "valid_from": ICB_START.isoformat(), "valid_to": ""})
        else:
            recoded.append(f"{code} {ics_name}: {old_ons} -> {new_ons}")
            rows.append({**base, "icb_ons_code": old_ons, "icb_long_name": old_name,
                         "valid_from": ICB_START.isoformat(),
                         "valid_to": date.fromordinal(ONS_RECODE_DATE.toordinal() - 1).isoformat()})
            rows.append({**base, "icb_ons_code": new_ons, "icb_long_name": new_name,
                         "valid_from": ONS_RECODE_DATE.isoformat(), "valid_to": ""})
    rows.sort(key=lambda r: (r["icb_code"], r["valid_from"]))
    return rows, recoded


# --------------------------------------------------------------------------- 2. trusts

SMALL_WORDS = {"and", "of", "the", "for", "at", "on", "in"}
UPPER_WORDS = {"NHS", "UK"}


def title_case_ods(name: str) -> str:
    """Best-effort mixed case for an upper-case ODS name (fallback only)."""
    out = []
    for i, word in enumerate(name.split()):
        if word in UPPER_WORDS:
            out.append(word)
        elif i > 0 and word.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            # capitalise each part after - or ( but keep 's lower case (CHILDREN'S -> Children's)
            w = re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), word.lower())
            out.append(re.sub(r"'S\b", "'s", w))
    return " ".join(out)


def infer_org_type(ods_name: str) -> str:
    """Fallback only, for trusts in neither NHS England Digital file.

    CARE is matched as a whole word, not inside HEALTHCARE, and not in "INTEGRATED CARE"
    (acute-led integrated trusts); COMMUNITY is tested before CARE so that "Community Health
    and Care" trusts are community providers. Checked against the trusts whose type is known,
    this rule gets 177 of 202 right; the misses are mental-health trusts whose names carry no
    marker (Oxleas, Tavistock and Portman, ... Healthcare NHS FT) and come out as Acute.
    """
    n = ods_name.upper()
    if "AMBULANCE" in n:
        return "Ambulance"
    if re.search(r"\bCOMMUNITY\b", n):
        return "Community Provider Trust"
    if "MENTAL HEALTH" in n or "PARTNERSHIP" in n or re.search(r"(?<!INTEGRATED )\bCARE\b", n):
        return "Mental Health"
    return "Acute"


def build_trusts(realdata: Path, icb_codes: set[str]) -> tuple[list[dict], dict]:
    # Mixed-case names and organisation types from NHS England Digital. Later files win, and
    # the turnover file (Oct 2025) is later than the sickness files (Apr-Sep 2024): several
    # trusts were renamed in between (e.g. RW1 Southern Health -> Hampshire and Isle of Wight
    # Healthcare, RAX Kingston Hospital -> Kingston and Richmond), and the newer name is the
    # one that agrees with the 2025 ODS extract.
    sick_name: dict[str, str] = {}
    sick_type: dict[str, str] = {}
    for path in sickness_files(realdata):
        for r in read_dicts(path):
            sick_name[r["ORG_CODE"]] = r["ORG_NAME"]
            sick_type[r["ORG_CODE"]] = r["ORG_TYPE"]
    turn_name: dict[str, str] = {}
    turn_type: dict[str, str] = {}
    for path in turnover_files(realdata):
        for r in read_dicts(path):
            turn_name[r["REPORTING_ORG_CODE"]] = r["REPORTING_ORG_NAME"]
            turn_type[r["REPORTING_ORG_CODE"]] = r["CLUSTER_GROUP"]

    with open(realdata / "ods_etr_2025" / "etr.csv", newline="", encoding="utf-8-sig") as f:
        etr = list(csv.reader(f))  # no header row; CRLF handled by newline=""

    rows: list[dict] = []
    notes = {"closed": [], "wales": [], "name_source": Counter(), "type_source": Counter(),
             "renamed": []}
    for rec in etr:
        code, ods_name, region, icb, opened, closed = rec[0], rec[1], rec[2], rec[3], rec[10], rec[11]
        if closed.strip():
            notes["closed"].append(f"{code} {ods_name} (closed {iso(closed)})")
            continue
        if region == WALES["region"] or icb == WALES["icb"]:
            notes["wales"].append(f"{code} {ods_name}")
            continue
        if code in turn_name:
            name, src = turn_name[code], "turnover"
            if code in sick_name and sick_name[code] != name:
                notes["renamed"].append(f"{code}: sickness '{sick_name[code]}' -> turnover '{name}'")
        elif code in sick_name:
            name, src = sick_name[code], "sickness"
        else:
            name, src = title_case_ods(ods_name), "ods_title_case"
        notes["name_source"][src] += 1
        if sick_type.get(code) in TRUST_TYPES:
            org_type, tsrc = sick_type[code], "sickness"
        elif turn_type.get(code) in TRUST_TYPES:
            org_type, tsrc = turn_type[code], "turnover"
        else:
            org_type, tsrc = infer_org_type(ods_name), "inferred_from_name"
        notes["type_source"][tsrc] += 1
        rows.append({"org_code": code, "org_name": name, "org_type": org_type,
                     "region_code": region, "icb_code": icb, "open_date": iso(opened)})
    rows.sort(key=lambda r: r["org_code"])
    have = {r["icb_code"] for r in rows}
    notes["icbs_without_trust"] = sorted(icb_codes - have)
    notes["unknown_icb"] = sorted(have - icb_codes)
    return rows, notes


# --------------------------------------------------------------------------- 3. CCG 2021 -> ICB

# July 2022 boundary changes named in PROVENANCE.md, applied only to whole CCGs:
# - Bassetlaw: the whole of NHS Bassetlaw CCG (02Q) moved from South Yorkshire and Bassetlaw
#   (QF7) to Nottingham and Nottinghamshire (QT1); the July 2022 lookup has sub-ICB 02Q in QT1.
#   It is a whole CCG, so its row is re-pointed to QT1.
# - Glossop: Glossop was only part of NHS Tameside and Glossop CCG (01Y). It moved *out of*
#   Greater Manchester (PROVENANCE.md has the direction reversed) into Derby and Derbyshire (High Peak LSOAs
#   are in sub-ICB 15M / QJ2 in the July 2022 lookup; 01Y was re-coded E38000182 -> E38000263 as Tameside only). A part of a CCG
#   cannot be re-pointed in a CCG-grain table, so the 01Y row is left as published (QOP).
# - Likewise West Birmingham (part of Sandwell and West Birmingham CCG D2P2L) moved from the
#   Black Country (QUA) to Birmingham and Solihull (QHL) in July 2022; D2P2L is left as published.
WHOLE_CCG_MOVES = {"02Q": "QT1"}  # CCG21CDH -> STP21CDH it joined in July 2022


def build_ccg21(realdata: Path) -> list[dict]:
    src = read_dicts(realdata / "ons_ccg21_stp21_lookup" / "ccg_icb_to_cancer_alliance.csv")
    stp_ons = {}
    for r in src:
        stp_ons.setdefault(r["STP21CDH"], set()).add(r["STP21CD"])
    rows = []
    for r in src:
        icb = WHOLE_CCG_MOVES.get(r["CCG21CDH"], r["STP21CDH"])
        rows.append({"ccg_code": r["CCG21CDH"], "ccg_ons_code": r["CCG21CD"], "ccg_name": r["CCG21NM"],
                     "icb_code": icb,
                     # the 2021 (STP21) E54 code of the STP/ICS the CCG is assigned to
                     "icb_ons_code": one(stp_ons[icb], f"STP21 code for {icb}")})
    rows.sort(key=lambda r: r["ccg_code"])
    return rows


# --------------------------------------------------------------------------- 4. LA -> ICB shares

SHARE_DP = Decimal("0.000001")


def build_la_shares(realdata: Path) -> list[dict]:
    # LSOAs are built to near-equal populations (about 1,500 residents; 1,000-3,000 at the 2011
    # Census), so the share of an LA's LSOAs lying in an ICB is used as the share of its
    # population. Good enough for weighting social-care figures; not a population estimate.
    counts: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, set] = defaultdict(set)
    ons: dict[str, set] = defaultdict(set)
    for r in read_dicts(realdata / "ons_lsoa_icb_lad_lookups" / "lookup_lsoa11_sicbl22_icb22_ltla22.csv"):
        counts[r["ltla22_code"]][r["icb22_code_h"]] += 1
        names[r["ltla22_code"]].add(r["ltla22_name"])
        ons[r["icb22_code_h"]].add(r["icb22_code"])
    rows = []
    for la in sorted(counts):
        total = sum(counts[la].values())
        shares = {icb: (Decimal(n) / Decimal(total)).quantize(SHARE_DP, ROUND_HALF_EVEN)
                  for icb, n in counts[la].items()}
        # the largest share absorbs rounding so each LA sums to exactly 1
        largest = max(shares, key=lambda k: (counts[la][k], k))
        shares[largest] += Decimal(1) - sum(shares.values())
        for icb in sorted(shares):
            rows.append({"la_code": la, "la_name": one(names[la], f"name of {la}"), "icb_code": icb,
                         "icb_ons_code": one(ons[icb], f"ONS code of {icb}"),
                         "share": format(shares[icb], "f")})
    # Upper tier (E10 counties) is NOT built: the Skills for Care file's E07 districts would have
    # to be summed to their county, but no file at hand maps E07 districts to E10 counties (the
    # ONS lookup stops at lower-tier LAD22). The districts can be grouped (within a county every
    # district's measures are the county value times the same population share, so the ratios
    # vacancy/turnover and sickness/turnover are equal within a county: 26 groups), but the E10
    # codes and names themselves are not in the data. Needs an ONS LAD -> county lookup.
    return rows


# --------------------------------------------------------------------------- 5. survey crosswalk

SURVEY_YEARS = range(2021, 2026)

# item_key -> (scale, positive_options, {first year: question code}); a code holds until the next.
ITEMS = {
    "raise_unsafe_secure": ("agree5", "4|5", {2021: "q17a", 2022: "q19a", 2023: "q20a"}),
    "raise_unsafe_addressed": ("agree5", "4|5", {2021: "q17b", 2022: "q19b", 2023: "q20b"}),
    "speak_up_safe": ("agree5", "4|5", {2021: "q21e", 2022: "q23e", 2023: "q25e"}),
    "speak_up_addressed": ("agree5", "4|5", {2021: "q21f", 2022: "q23f", 2023: "q25f"}),
    "burnout_exhausting": ("frequency5", "4|5", {2021: "q12a"}),
    "burnout_burnt_out": ("frequency5", "4|5", {2021: "q12b"}),
    "burnout_frustrated": ("frequency5", "4|5", {2021: "q12c"}),
    "burnout_dread_shift": ("frequency5", "4|5", {2021: "q12d"}),
    "burnout_worn_out": ("frequency5", "4|5", {2021: "q12e"}),
    "burnout_every_hour": ("frequency5", "4|5", {2021: "q12f"}),
    "burnout_no_energy": ("frequency5", "4|5", {2021: "q12g"}),
    "unwell_stress": ("yes_no", "1", {2021: "q11c"}),
}
# Wording as in METRICS.md; replaced by the questionnaire wording from the question reference
# file (2024/2025 numbering) where that file has the item. The wording of these items did not
# change 2021-2025 (only their numbers did), so the same wording is used for every year.
DEFAULT_WORDING = {
    "raise_unsafe_secure": "I would feel secure raising concerns about unsafe clinical practice",
    "raise_unsafe_addressed": "I am confident that my organisation would address my concern",
    "speak_up_safe": "I feel safe to speak up about anything that concerns me in this organisation",
    "speak_up_addressed": ("If I spoke up about something that concerned me I am confident my organisation "
                           "would address my concern"),
    "burnout_exhausting": "How often, if at all, do you find your work emotionally exhausting?",
    "burnout_burnt_out": "How often, if at all, do you feel burnt out because of your work?",
    "burnout_frustrated": "How often, if at all, does your work frustrate you?",
    "burnout_dread_shift": "How often, if at all, are you exhausted at the thought of another day/shift at work?",
    "burnout_worn_out": "How often, if at all, do you feel worn out at the end of your working day/shift?",
    "burnout_every_hour": "How often, if at all, do you feel that every working hour is tiring for you?",
    "burnout_no_energy": "How often, if at all, do you not have enough energy for family and friends during leisure time?",
    "unwell_stress": "During the last 12 months have you felt unwell as a result of work related stress?",
}


def question_code(codes: dict[int, str], year: int) -> str:
    return codes[max(y for y in codes if y <= year)]


def build_crosswalk(realdata: Path) -> tuple[list[dict], list[str]]:
    ref = read_dicts(realdata / "nhs_staff_survey_question_reference" / "question_scores_map.csv")
    # the plain questionnaire text rows (text_origin IQVIA_bench), keyed by the 2024/25 code
    ref_text = {}
    for r in ref:
        if r["text_origin"] == "IQVIA_bench" and r["year_q"]:
            ref_text.setdefault(r["year_q"].lower(), r["q_text"].strip())
    checks = []
    rows = []
    for key, (scale, positive, codes) in ITEMS.items():
        latest = question_code(codes, max(SURVEY_YEARS))
        wording = DEFAULT_WORDING[key]
        if latest in ref_text:
            found = ref_text[latest].rstrip(".")
            if found.rstrip("?").lower() != wording.rstrip("?").lower():
                checks.append(f"{key} ({latest}): METRICS/default wording differs from reference: {found!r}")
            wording = found
        else:
            checks.append(f"{key} ({latest}): not in question reference; wording from METRICS.md")
        for year in SURVEY_YEARS:
            rows.append({"item_key": key, "survey_year": year, "question_code": question_code(codes, year),
                         "wording": wording, "scale": scale, "positive_options": positive})
    rows.sort(key=lambda r: (r["item_key"], r["survey_year"]))
    return rows, checks


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    default_root = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("realdata", type=Path, help="folder of real published files (see its PROVENANCE.md)")
    p.add_argument("--repo-root", type=Path, default=default_root, help="repository root (default: this file's repo)")
    args = p.parse_args(argv)
    realdata, root = args.realdata, args.repo_root
    if not (realdata / "PROVENANCE.md").exists() and not (realdata / "ods_etr_2025").is_dir():
        raise SystemExit(f"{realdata} does not look like the realdata folder")
    os.chdir(root)  # write and print repo-relative paths only
    seeds = Path("dbt") / "seeds"

    icb_rows, recoded = build_icb(realdata)
    write_csv(seeds / "ref_icb.csv", ICB_COLUMNS, icb_rows)
    for line in recoded:
        print(f"  ONS re-coding: {line}")

    trust_rows, notes = build_trusts(realdata, {r["icb_code"] for r in icb_rows})
    write_csv(Path("pipelines") / "synth" / "reference" / "trusts.csv", TRUST_COLUMNS, trust_rows)
    print(f"  skipped closed: {notes['closed']}")
    print(f"  skipped Wales:  {notes['wales']}")
    print(f"  name source: {dict(notes['name_source'])}; type source: {dict(notes['type_source'])}")
    for line in notes["renamed"]:
        print(f"  renamed since the sickness files: {line}")
    print(f"  ICBs without an open trust: {notes['icbs_without_trust'] or 'none'}")
    if notes["unknown_icb"]:
        print(f"  WARNING trusts in ICBs not in ref_icb: {notes['unknown_icb']}")

    write_csv(seeds / "ref_ccg21_icb.csv", CCG_COLUMNS, build_ccg21(realdata))
    write_csv(seeds / "ref_la_icb_share.csv", LA_SHARE_COLUMNS, build_la_shares(realdata))
    cw_rows, checks = build_crosswalk(realdata)
    write_csv(seeds / "survey_question_crosswalk.csv", CROSSWALK_COLUMNS, cw_rows)
    for line in checks:
        print(f"  wording check: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
