"""One writer per file format. Published files copy the real NHS England Digital and ODS layouts (headers,
date formats, row sets); record-level files follow the project's contracts (SOURCES.md)."""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

from .aggregate import ALL_GROUPS, TURNOVER_TYPES
from .calendar import day, iso
from .constants import (
    ALL_STAFF_GROUPS,
    DESTINATIONS,
    LEAVING_REASONS,
    OCCUPATION_CODES,
    QZZ,
    QZZ_NAME,
    REASON_CODES,
    STAFF_GROUPS,
)
from .decimals import decimal, half_up_ratio
from .population import UnitPopulation
from .world import World

SICKNESS_ORG_COLUMNS = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE",
                        "ORG_NAME", "ORG_TYPE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT"]
SICKNESS_GROUP_COLUMNS = ["DATE", "NHSE_REGION_CODE", "ORG_CODE", "CLUSTER_GROUP", "BENCHMARK_GROUP", "STAFF_GROUP",
                          "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT"]
SICKNESS_REASON_COLUMNS = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE",
                           "ORG_NAME", "ORG_TYPE", "REASON", "FTE_DAYS_LOST"]
TURNOVER_COLUMNS = ["PERIOD", "TYPE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME",
                    "REPORTING_ORG_NAME", "REPORTING_ORG_CODE", "CLUSTER_GROUP", "BENCHMARK_GROUP",
                    "STAFF_GROUP_1_NAME", "HC", "FTE"]
ETR_COLUMNS = 27
GROUP_NAMES = {ALL_GROUPS: ALL_STAFF_GROUPS, **dict(enumerate(STAFF_GROUPS))}
OCCUPATIONS = dict(enumerate(c for codes in OCCUPATION_CODES for c in codes))


class Output:
    """The flat output folder, with the files written and rows per file family."""

    def __init__(self, out_dir: Path):
        self.dir = out_dir
        self.files: list[Path] = []
        self.rows: Counter[str] = Counter()

    def csv(self, family: str, name: str, frame: pl.DataFrame) -> None:
        path = self.dir / name
        frame.write_csv(path)
        self.files.append(path)
        self.rows[family] += frame.height

    def raw(self, family: str, name: str, text: str, rows: int) -> None:
        path = self.dir / name
        path.write_bytes(text.encode("utf-8"))
        self.files.append(path)
        self.rows[family] += rows


def _e5(column: str) -> pl.Expr:
    """An exact FTE quantity held in 1e-5 units, as decimal text."""
    return decimal(column, 5)


def _rate(lost: str, available: str) -> pl.Expr:
    """lost / available x 100 rounded half up to 2 dp, computed in integers so both routes agree exactly."""
    return decimal(half_up_ratio(lost, available, 2), 2)


def org_months(world: World) -> pl.DataFrame:
    """Every organisation in every month it exists, with the names and codes in force then (as-at)."""
    rows = []
    for code, org in world.orgs.items():
        region_code, region_name = world.region(code)
        for m in range(org.first_month, org.last_month):
            ics = world.ics_at(code, m)
            rows.append((code, m, region_code, region_name, ics, QZZ_NAME if ics == QZZ else world.icbs[ics].name,
                         org.name, org.org_type, org.benchmark_group))
    return pl.DataFrame(rows, orient="row", schema={
        "org_code": pl.String, "month": pl.Int16, "NHSE_REGION_CODE": pl.String, "NHSE_REGION_NAME": pl.String,
        "ICS_CODE": pl.String, "ICS_NAME": pl.String, "ORG_NAME": pl.String, "ORG_TYPE": pl.String,
        "BENCHMARK_GROUP": pl.String})


def _by_month(frame: pl.DataFrame) -> list[tuple[int, pl.DataFrame]]:
    return sorted(((int(k[0]), part) for k, part in frame.partition_by("month", as_dict=True).items()),
                  key=lambda kv: kv[0])


def write_sickness(out: Output, world: World, sickness: pl.DataFrame, reasons: pl.DataFrame) -> None:
    """The three CSVs of NHS Sickness Absence Rates: organisation, staff group (benchmarking), reason."""
    cal = world.calendar
    meta = org_months(world)
    dates = pl.DataFrame({"month": np.arange(cal.n, dtype=np.int16),
                          "DATE": [cal.uk_month_end(m) for m in range(cal.n)]})
    org = (sickness.group_by("org_code", "month").agg(pl.col("lost_e5", "avail_e5").sum())
           .filter(pl.col("avail_e5") > 0).join(meta, on=["org_code", "month"]).join(dates, on="month")
           .with_columns(ORG_CODE=pl.col("org_code"), FTE_DAYS_LOST=_e5("lost_e5"),
                         FTE_DAYS_AVAILABLE=_e5("avail_e5"), SICKNESS_ABSENCE_RATE_PERCENT=_rate("lost_e5", "avail_e5"))
           .sort("NHSE_REGION_CODE", "ICS_CODE", "ORG_CODE"))
    for m, part in _by_month(org):
        out.csv("sickness_org", f"sickness_org_{cal.labels[m]}.csv", part.select(SICKNESS_ORG_COLUMNS))

    group = (sickness.filter(pl.col("avail_e5") > 0).join(meta, on=["org_code", "month"]).join(dates, on="month")
             .with_columns(ORG_CODE=pl.col("org_code"), CLUSTER_GROUP=pl.col("ORG_TYPE"),
                           STAFF_GROUP=pl.col("group").replace_strict(GROUP_NAMES, return_dtype=pl.String),
                           FTE_DAYS_LOST=_e5("lost_e5"), FTE_DAYS_AVAILABLE=_e5("avail_e5"),
                           SICKNESS_ABSENCE_RATE_PERCENT=_rate("lost_e5", "avail_e5"))
             .sort("NHSE_REGION_CODE", "ICS_CODE", "ORG_CODE", "group"))
    for m, part in _by_month(group):
        out.csv("sickness_staff_group", f"sickness_staff_group_{cal.labels[m]}.csv",
                part.select(SICKNESS_GROUP_COLUMNS))

    reason = (reasons.filter(pl.col("lost_e5") > 0).join(meta, on=["org_code", "month"]).join(dates, on="month")
              .with_columns(ORG_CODE=pl.col("org_code"),
                            REASON=pl.col("reason").replace_strict(dict(enumerate(REASON_CODES)),
                                                                   return_dtype=pl.String),
                            FTE_DAYS_LOST=_e5("lost_e5"))
              .sort("NHSE_REGION_CODE", "ICS_CODE", "ORG_CODE", "REASON"))
    for m, part in _by_month(reason):
        out.csv("sickness_reason", f"sickness_reason_{cal.labels[m]}.csv", part.select(SICKNESS_REASON_COLUMNS))


def write_turnover(out: Output, world: World, turnover: pl.DataFrame) -> None:
    """Turnover benchmarking table 2: both denominators wherever either is non-zero; joiner and leaver rows only
    where there are some (the publication leaves zero rows out). Trusts and ICBs, as in the real file."""
    cal = world.calendar
    meta = org_months(world).filter(pl.col("ICS_CODE") != QZZ)
    keys = ["org_code", "month", "group"]
    denominators = turnover.filter(pl.col("type") <= 1).pivot(on="type", index=keys, values=["hc", "fte_e5"])
    denominators = denominators.with_columns(pl.exclude(keys).fill_null(0))
    flows = turnover.filter((pl.col("type") >= 2) & (pl.col("hc") > 0))
    rows = pl.concat([
        denominators.select(*keys, type=pl.lit(t, pl.Int8), hc=pl.col(f"hc_{t}"), fte_e5=pl.col(f"fte_e5_{t}"))
        for t in (0, 1)] + [flows.select(*keys, "type", "hc", "fte_e5")])
    periods = pl.DataFrame({"month": np.arange(1, cal.n, dtype=np.int16),
                            "PERIOD": [f"{cal.yyyymm(m - 1)} to {cal.yyyymm(m)}" for m in range(1, cal.n)]})
    table = (rows.join(meta, on=["org_code", "month"]).join(periods, on="month")
             .with_columns(TYPE=pl.col("type").replace_strict(dict(enumerate(TURNOVER_TYPES)), return_dtype=pl.String),
                           REPORTING_ORG_NAME=pl.col("ORG_NAME"), REPORTING_ORG_CODE=pl.col("org_code"),
                           CLUSTER_GROUP=pl.col("ORG_TYPE"),
                           STAFF_GROUP_1_NAME=pl.col("group").replace_strict(GROUP_NAMES, return_dtype=pl.String),
                           HC=pl.col("hc").cast(pl.Int64), FTE=_e5("fte_e5"))
             .sort("type", "NHSE_REGION_CODE", "ICS_CODE", "org_code", "group"))
    for m, part in _by_month(table):
        out.csv("turnover", f"turnover_{cal.labels[m]}.csv", part.select(TURNOVER_COLUMNS))


def write_etr(out: Output, world: World) -> None:
    """ODS etr snapshots (no header, 27 quoted columns, CRLF): at the start of the data, when the trust moves
    ICB, at the trust merger (the absorbed trust closed the day before) and at the ICB merger (new ICB code)."""
    sc, cal = world.scenario, world.calendar
    dates = sorted({cal.first_day, day(sc.move_date), day(sc.trust_merger_date), day(sc.icb_merger_date)})
    for snap in (d for d in dates if cal.first_day <= d <= cal.last_day):
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        count = 0
        for code, org in sorted(world.orgs.items()):
            if org.kind != "trust":
                continue
            closed = org.last_month < cal.n and cal.starts[org.last_month] <= snap
            as_at = cal.starts[org.last_month] - 1 if closed else snap
            row = [""] * ETR_COLUMNS
            row[0], row[1], row[2], row[3] = code, org.name.upper(), org.region_code, world.icb_on(code, as_at)
            row[10] = org.open_date.replace("-", "")
            row[11] = iso(as_at).replace("-", "") if closed else ""
            row[21] = "0"
            writer.writerow(row)
            count += 1
        out.raw("ods_etr", f"ods_etr_{iso(snap).replace('-', '')}.csv", buf.getvalue(), count)


def _dates(*columns: str) -> list[pl.Expr]:
    return [pl.col(c).cast(pl.Int32).cast(pl.Date) for c in columns]


def _assignment_id() -> pl.Expr:
    """ESR style: the person number for the first assignment, person number-2 for the second."""
    eid = pl.col("employee_id").cast(pl.String)
    return pl.when(pl.col("suffix") == 2).then(eid + "-2").otherwise(eid).alias("assignment_id")


def write_record_level(out: Output, world: World, pop: UnitPopulation, org_index: int) -> None:
    """ESR staff in post, absence episodes and leavers of one organisation."""
    cal = world.calendar
    code = pop.unit.orgs[org_index]
    group = pl.col("group").replace_strict(GROUP_NAMES, return_dtype=pl.String).alias("staff_group")
    month_end = pl.col("month").replace_strict(dict(enumerate(cal.ends.tolist())), return_dtype=pl.Int32)
    sip = pop.sip.filter(pl.col("org") == org_index).select(
        "employee_id", _assignment_id(), org_code=pl.lit(code), staff_group=group,
        occupation_code=pl.col("occ").replace_strict(OCCUPATIONS, return_dtype=pl.String), fte=_e5("fte_e5"),
        month_end=month_end.cast(pl.Date), start_date=_dates("start_day")[0],
        date_of_birth=_dates("dob_day")[0]).sort("month_end", "employee_id", "assignment_id")
    out.csv("esr_staff_in_post", f"esr_staff_in_post_{code}.csv", sip)

    extract = pl.lit(cal.last_day).cast(pl.Int32).cast(pl.Date)
    absence = pop.absence.filter(pl.col("org") == org_index).select(
        "employee_id", _assignment_id(), org_code=pl.lit(code), absence_start=_dates("start_day")[0],
        absence_end=pl.when(pl.col("end_day") <= cal.last_day).then(pl.col("end_day")).cast(pl.Int32).cast(pl.Date),
        fte=_e5("fte_e5"),
        reason_code=pl.col("reason").replace_strict(dict(enumerate(REASON_CODES)), return_dtype=pl.String),
        extract_date=extract).sort("absence_start", "employee_id", "assignment_id")
    out.csv("esr_absence", f"esr_absence_{code}.csv", absence)

    leavers = pop.leavers.filter(pl.col("org") == org_index).select(
        "employee_id", org_code=pl.lit(code), staff_group=group, leave_date=_dates("leave_day")[0],
        leaving_reason=pl.col("reason").replace_strict(dict(enumerate(LEAVING_REASONS)), return_dtype=pl.String),
        destination=pl.col("destination").replace_strict(
            {i: d or None for i, d in enumerate(DESTINATIONS)}, return_dtype=pl.String),
    ).sort("leave_date", "employee_id")
    out.csv("esr_leavers", f"esr_leavers_{code}.csv", leavers)
