"""Every extract format, and recognising a file's format from its header (never from its name)."""
from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from . import reference, sickness, social_care, survey, turnover, workforce
from .privacy import protect
from .base import ROW, Format, RejectedFile, check_unique, decode, normalise_header, read_text_frame, typed

FORMATS: tuple[Format, ...] = (*reference.FORMATS, *sickness.FORMATS, *workforce.FORMATS, *turnover.FORMATS,
                                *survey.FORMATS, *social_care.FORMATS)
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(f.family for f in FORMATS))
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


def formats_of(family: str) -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.family == family)


def recognise(columns: list[str], file: str) -> Format:
    """The format whose required columns the header holds (the most specific one if several do)."""
    header = {normalise_header(c) for c in columns}
    matches = [f for f in FORMATS if f.header and f.required <= header]
    if not matches:
        closest = max((f for f in FORMATS if f.header), key=lambda f: len(f.required & header) / len(f.required))
        missing = sorted(closest.required - header)
        raise RejectedFile(file, f"header not recognised as any known extract format; the closest, "
                                 f"{closest.name}, lacks column(s) {', '.join(missing)}", row=1, column=missing[0])
    fmt = max(matches, key=lambda f: len(f.required))
    unknown = sorted(header - fmt.known)
    if unknown:
        raise RejectedFile(file, f"unknown column '{unknown[0]}' for format {fmt.name}"
                                 + (" (looks like a direct identifier)" if fmt.record_level else ""),
                           row=1, column=unknown[0])
    return fmt


def sniff_columns(path: Path) -> list[str]:
    """The header of a file, read cheaply (first line of a CSV; the first recognisable sheet of a workbook)."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return [c for c in _read_xlsx(path).columns if c != ROW]
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    first_line = decode(head.split(b"\n", 1)[0] if b"\n" in head else head).strip("\n")
    if not first_line.strip():
        raise RejectedFile(path.name, "the file is empty" if not head.strip() else "the first line is blank", row=1)
    return next(csv.reader([first_line]))


def read(path: Path, key: bytes | None = None) -> tuple[Format, pl.DataFrame]:
    """Read and type one landing file; raise RejectedFile naming file, row and column.

    Record-level formats need the pseudonymisation key: identifiers are replaced before the frame leaves here.
    """
    file = path.name
    frame = _read_xlsx(path) if path.suffix.lower() in XLSX_SUFFIXES else read_text_frame(decode(path.read_bytes()), file)
    fmt = recognise([c for c in frame.columns if c != ROW], file)
    df = typed(frame, fmt, file)
    if fmt.reshape is not None:
        df = fmt.reshape(df)
    check_unique(df, fmt.key, file)
    if fmt.record_level:
        if key is None:
            raise ValueError("record-level extracts need a pseudonymisation key")
        df = protect(df, fmt, key)
    return fmt, df


def _read_xlsx(path: Path) -> pl.DataFrame:
    """The first sheet whose header is a known format, as strings."""
    try:
        sheets = pl.read_excel(path, sheet_id=0, engine="calamine", infer_schema_length=0)
    except Exception as err:  # noqa: BLE001 - calamine raises its own error types for corrupt workbooks
        raise RejectedFile(path.name, f"not a readable XLSX workbook ({str(err).splitlines()[0]})") from err
    for name, sheet in sheets.items():
        if sheet.height == 0 or not sheet.columns:
            continue
        try:
            recognise(sheet.columns, path.name)
        except RejectedFile:
            continue
        text = sheet.select(pl.all().cast(pl.String)).write_csv()
        return read_text_frame(text, f"{path.name} [{name}]")
    raise RejectedFile(path.name, f"no sheet with data in a known format (sheets: {', '.join(sheets) or 'none'})")


