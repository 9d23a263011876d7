"""Reference extracts: ODS organisation files (the `etr` NHS trusts extract and others in the same layout).

ODS files have no header: 27 quoted fields per row, CRLF. Each file is one dated snapshot of which ICB every
organisation belongs to; successive snapshots give the membership intervals (built in dbt, not here).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import polars as pl

from .base import ROW, Column, Format, RejectedFile, read_text_frame

ODS_DATE = "%Y%m%d"
ODS_FIELDS = 27
# 0-based field positions of the standard ODS layout that the pipeline uses.
ODS_POSITIONS = {"org_code": 0, "org_name": 1, "region_code": 2, "icb_code": 3, "open_date": 10, "close_date": 11}
SNAPSHOT_FROM_FILE_NAME = "file_name"
SNAPSHOT_FROM_OPEN_DATES = "newest_open_date"
# A date in the file name: YYYYMMDD or YYYY-MM-DD, not part of a longer run of digits.
_NAME_DATE = re.compile(r"(?<!\d)(?:(\d{4})(\d{2})(\d{2})|(\d{4})-(\d{2})-(\d{2}))(?!\d)")
ANY_ODS_CODE = r"^[A-Za-z0-9]+$"

ODS_ORGANISATIONS = Format(
    name="ods_organisations",
    family="reference",
    table="ods_organisations",
    description="ODS organisation extract (etr and the same headerless layout), one row per snapshot x organisation",
    header=False,
    columns=(
        # ODS codes of any length: merged ICBs get codes that do not follow the QXX pattern
        Column("org_code", pl.String, pattern=ANY_ODS_CODE),
        Column("org_name", pl.String),
        # blank in some later extracts: loaded as null and counted in the load message
        Column("region_code", pl.String, nullable=True, pattern=ANY_ODS_CODE),
        Column("icb_code", pl.String, nullable=True, pattern=ANY_ODS_CODE),
        Column("open_date", pl.Date, date_format=ODS_DATE),
        Column("close_date", pl.Date, nullable=True, date_format=ODS_DATE),
        Column("snapshot_date", pl.Date, date_format=ODS_DATE),
        Column("snapshot_date_source", pl.String),
    ),
    key=("snapshot_date", "org_code"),
    period="snapshot_date",
    org="org_code",
    rules=(("the close date is before the open date", "close_date", "close_date < open_date"),),
)

FORMATS: tuple[Format, ...] = (ODS_ORGANISATIONS,)


def recognise_headerless(fields: list[str]) -> Format | None:
    """The ODS layout, from its first row: 27 fields, an ODS code first, an 8-digit open date in field 10."""
    if len(fields) != ODS_FIELDS:
        return None
    code, opened = fields[0].strip(), fields[ODS_POSITIONS["open_date"]].strip()
    if re.fullmatch(ANY_ODS_CODE, code) and re.fullmatch(r"\d{8}", opened):
        return ODS_ORGANISATIONS
    return None


def headerless_frame(text: str, file: str) -> pl.DataFrame:
    """The fields the pipeline uses, named, as strings, plus the snapshot date and where it came from."""
    for line, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if fields and len(fields) != ODS_FIELDS:  # polars would pad a short row with nulls
            raise RejectedFile(file, f"the row has {len(fields)} fields; ODS extracts have {ODS_FIELDS}", row=line)
    frame = read_text_frame(text, file, header=False)
    fields = [c for c in frame.columns if c != ROW]
    named = frame.select(ROW, *[pl.col(fields[i]).alias(name) for name, i in ODS_POSITIONS.items()])
    snapshot, source = snapshot_date(file, named["open_date"])
    return named.with_columns(pl.lit(snapshot.strftime(ODS_DATE)).alias("snapshot_date"),
                              pl.lit(source).alias("snapshot_date_source"))


def snapshot_date(file: str, open_dates: pl.Series) -> tuple[date, str]:
    """The date in the file name when it holds one, else the newest open date in the file (and which it was)."""
    match = _NAME_DATE.search(file)
    if match:
        year, month, day = (int(g) for g in match.groups() if g is not None)
        try:
            return date(year, month, day), SNAPSHOT_FROM_FILE_NAME
        except ValueError:
            raise RejectedFile(file, f"the file name holds '{match.group(0)}', which is not a valid snapshot date "
                                     "(YYYYMMDD or YYYY-MM-DD)") from None
    parsed = open_dates.str.strip_chars().str.to_date(ODS_DATE, strict=False)
    if parsed.is_null().all():
        raise RejectedFile(file, "no snapshot date: the file name holds no date and no row has an open date",
                           column="open_date")
    return parsed.max(), SNAPSHOT_FROM_OPEN_DATES


def load_note(df: pl.DataFrame) -> str:
    """What a reader of the load log must know: where the snapshot date came from, and blank geography kept."""
    snapshot, source = df["snapshot_date"][0], df["snapshot_date_source"][0]
    where = "from the file name" if source == SNAPSHOT_FROM_FILE_NAME else "the newest open date in the file"
    note = f"; snapshot date {snapshot.isoformat()} ({where})"
    blanks = [f"{n} with a blank {what}" for what, n in (("region", df["region_code"].null_count()),
                                                         ("ICB", df["icb_code"].null_count())) if n]
    if blanks:
        note += f"; {' and '.join(blanks)} (loaded with the value null)"
    return note
