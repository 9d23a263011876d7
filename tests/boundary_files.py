"""Hand-built reference and publisher files for the boundary tests, in the real published layouts."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ODS_FIELDS = 27
SICKNESS_HEADER = ("DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE", "ORG_NAME",
                   "ORG_TYPE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT")


@dataclass(frozen=True)
class OdsRow:
    code: str
    icb: str
    region: str = "Y61"
    opened: str = "20000401"
    closed: str = ""
    name: str = ""


def ods_bytes(rows: list[OdsRow]) -> bytes:
    """An ODS etr-style extract: no header, 27 quoted fields, CRLF."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for r in rows:
        fields = [""] * ODS_FIELDS
        fields[0], fields[1], fields[2], fields[3] = r.code, r.name or f"{r.code} NHS TRUST", r.region, r.icb
        fields[9], fields[10], fields[11], fields[21] = "AB1 2CD", r.opened, r.closed, "0"
        writer.writerow(fields)
    return buf.getvalue().encode()


def write_ods(folder: Path, name: str, rows: list[OdsRow]) -> Path:
    path = folder / name
    path.write_bytes(ods_bytes(rows))
    return path


@dataclass(frozen=True)
class SicknessRow:
    org: str
    icb: str
    icb_name: str
    lost: float
    available: float
    region: str = "Y61"
    org_type: str = "Acute"


def month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def write_sickness(folder: Path, month: date, rows: list[SicknessRow]) -> Path:
    """One month of the NHS Sickness Absence Rates organisation CSV (rate rounded to 2 dp, as published)."""
    path = folder / f"sickness_org_{month:%Y-%m}.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(SICKNESS_HEADER)
        for r in rows:
            writer.writerow([month_end(month).strftime("%d/%m/%Y"), r.region, "Region", r.icb, r.icb_name, r.org,
                             f"{r.org} Trust", r.org_type, r.lost, r.available,
                             f"{round(r.lost / r.available * 100, 2):.2f}"])
    return path
