"""Typed reading of one extract: bytes -> polars frame, or a RejectedFile naming file, row and column.

Pure functions only: nothing here touches the warehouse or moves files.
Row numbers in messages are line numbers in the file (the header is line 1).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

ROW = "_source_row"


class RejectedFile(Exception):
    """The file cannot be loaded; the message says where and why."""

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file, self.message, self.row, self.column = file, message, row, column
        where = ", ".join(p for p in (f"row {row}" if row else "", f"column {column}" if column else "") if p)
        super().__init__(f"{file}: {where + ': ' if where else ''}{message}")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    required: bool = True
    nullable: bool = False
    date_format: str | None = None
    min: float | None = None
    max: float | None = None
    # record-level privacy: "pseudonymise" (keyed hash) or "age_band" (date of birth -> band)
    privacy: str | None = None


@dataclass(frozen=True)
class Format:
    """One extract format: how to recognise it, its typed columns, its grain, where it lands."""

    name: str
    family: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # columns that say which period and organisation a row belongs to (for supersession)
    period: str | None = None
    org: str | None = None
    record_level: bool = False
    header: bool = True
    description: str = ""
    # extra row rules: (message, column, polars expression that is True for a bad row)
    rules: tuple[tuple[str, str, pl.Expr], ...] = field(default_factory=tuple)
    # reshape after typing (e.g. a wide export to long form); must keep the _source_row column
    reshape: Callable[[pl.DataFrame], pl.DataFrame] | None = None

    @property
    def required(self) -> set[str]:
        return {c.name for c in self.columns if c.required}

    @property
    def known(self) -> set[str]:
        return {c.name for c in self.columns}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; line endings normalised to LF."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="strict")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_header(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def read_text_frame(text: str, file: str, header: bool = True) -> pl.DataFrame:
    """All columns as strings, with the file line number of each row."""
    if not text.strip():
        raise RejectedFile(file, "the file is empty")
    try:
        df = pl.read_csv(text.encode(), has_header=header, infer_schema=False,
                         raise_if_empty=True)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as err:
        raise RejectedFile(file, f"not a readable CSV table ({str(err).splitlines()[0]})", row=_ragged_row(text)) from err
    if header:
        df = df.rename({c: normalise_header(c) for c in df.columns})
    first_line = 2 if header else 1
    return df.with_row_index(ROW, offset=first_line).with_columns(pl.col(ROW).cast(pl.Int64))


def _ragged_row(text: str) -> int | None:
    """Line number of the first row whose field count differs from the header's (for the message)."""
    import csv

    reader = csv.reader(io.StringIO(text))
    width = None
    for line, fields in enumerate(reader, start=1):
        if width is None:
            width = len(fields)
        elif fields and len(fields) != width:
            return line
    return None


def typed(df: pl.DataFrame, fmt: Format, file: str) -> pl.DataFrame:
    """Cast string columns to the format's types; reject the first value that will not cast."""
    if df.height == 0:
        raise RejectedFile(file, "the file has a header but no data rows")
    exprs = []
    for col in fmt.columns:
        if col.name not in df.columns:
            exprs.append(pl.lit(None, dtype=col.dtype).alias(col.name))
            continue
        raw = pl.col(col.name).str.strip_chars()
        raw = pl.when(raw.is_in(["", "NA"])).then(None).otherwise(raw)
        if col.dtype == pl.Date:
            cast = raw.str.to_date(col.date_format or "%Y-%m-%d", strict=False)
        elif col.dtype == pl.Datetime:
            cast = raw.str.to_datetime(strict=False, time_unit="us")
        elif col.dtype == pl.String:
            cast = raw
        else:
            cast = raw.str.replace_all(",", "").cast(col.dtype, strict=False)
        exprs.append(raw.alias(f"__raw_{col.name}"))
        exprs.append(cast.alias(col.name))
    out = df.select(pl.col(ROW), *exprs)
    for col in fmt.columns:
        if col.name not in df.columns:
            continue
        bad = out.filter(pl.col(f"__raw_{col.name}").is_not_null() & pl.col(col.name).is_null())
        if bad.height:
            value = bad[f"__raw_{col.name}"][0]
            expected = f"a date like {col.date_format or '%Y-%m-%d'}" if col.dtype == pl.Date else f"a {col.dtype}"
            raise RejectedFile(file, f"'{value}' is not {expected}", bad[ROW][0], col.name)
        if col.required and not col.nullable:
            missing = out.filter(pl.col(col.name).is_null())
            if missing.height:
                raise RejectedFile(file, "a value is required", missing[ROW][0], col.name)
        for bound, op, word in ((col.min, "lt", "below"), (col.max, "gt", "above")):
            if bound is None:
                continue
            bad = out.filter(getattr(pl.col(col.name), op)(bound))
            if bad.height:
                raise RejectedFile(file, f"{bad[col.name][0]} is {word} the allowed {bound}", bad[ROW][0], col.name)
    out = out.select(ROW, *[c.name for c in fmt.columns])
    for message, column, is_bad in fmt.rules:
        bad = out.filter(is_bad)
        if bad.height:
            raise RejectedFile(file, message, bad[ROW][0], column)
    return out


def check_unique(df: pl.DataFrame, key: tuple[str, ...], file: str) -> None:
    dup = df.filter(pl.struct(list(key)).is_duplicated()).sort(ROW)
    if dup.height:
        first = dup.row(0, named=True)
        values = ", ".join(f"{k}={first[k]}" for k in key)
        raise RejectedFile(file, f"duplicate key ({values}); the grain is one row per {', '.join(key)}",
                           dup[ROW][1] if dup.height > 1 else dup[ROW][0], key[-1])


def source_name(path: Path) -> str:
    return path.name
