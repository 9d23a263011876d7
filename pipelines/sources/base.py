"""Typed reading of one extract: polars frame of strings -> typed frame, or a RejectedFile naming file, row, column.

Pure functions only: nothing here touches the warehouse or moves files.
Row numbers in messages are line numbers in the file (the header is line 1).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

ROW = "_source_row"
# a keyed pseudonym as stored: the first 64 bits of an HMAC-SHA256 of the identifier (privacy.py)
PSEUDONYM = pl.UInt64
# Cells meaning "no value" in every published format (PROVENANCE: the survey export writes a literal NA).
NULL_MARKERS = ("", "NA")
# Plausible dates for any extract: nothing in the NHS data predates the NHS (5 July 1948) or lies past 2100.
EARLIEST_DATE = date(1948, 7, 5)
LATEST_DATE = date(2100, 1, 1)
# Organisation codes are ODS codes: 3 to 6 upper-case letters and digits (trusts RXX, sites RXX01, ICBs QXX...).
ODS_CODE = r"^[A-Z0-9]{3,6}$"
# Numbers as extracts write them: a plain decimal, optionally with an exponent. No NaN, no infinity, and a
# comma only as a thousands separator in a column that allows it ("1,0" is no number: 1.0 or 10?).
DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
INTEGER = r"^[+-]?\d+$"
GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
NON_FINITE = r"^[+-]?(nan|inf|infinity)$"

# Column names that carry a person's direct identity; record-level contracts never hold them raw.
_IDENTIFIER_NAMES = re.compile(
    r"(full|first|last|given|family|middle|maiden|employee|staff|person|patient|respondent)?_?"
    r"(names?|surname|forenames?)"
    r"|nhs_?(number|no|num)|n_?i_?(number|no)|nino|national_insurance(_number)?"
    r"|(home_)?post_?code|(home_)?address(_line_?\d)?|e_?mail(_address)?|(tele)?phone(_number)?|mobile(_number)?"
    r"|date_of_birth|dob|birth_?date")


def looks_like_identifier(column: str) -> bool:
    """True for a column such as surname, nhs_number, NI number, postcode, address, email, phone, date of birth."""
    return bool(_IDENTIFIER_NAMES.fullmatch(re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")))


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
    min: float | date | None = None
    max: float | date | None = None
    # record-level privacy: "pseudonymise" (keyed hash) or "age_band" (date of birth -> band)
    privacy: str | None = None
    # the header in the file (lower case) when it differs from the column's name in the warehouse
    header: str | None = None
    # a regular expression the (string) value must match, e.g. an ODS code
    pattern: str | None = None
    # the only values allowed
    values: tuple[str, ...] | None = None
    # published counts may group thousands with commas ("1,234"); elsewhere a comma makes a value no number
    thousands: bool = False

    @property
    def source(self) -> str:
        return self.header or self.name


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
    # extra row rules: (message, column, SQL predicate true on a bad row); one text, run by polars in the reader
    # and by DuckDB in the raw gate
    rules: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    # header columns matching this Column's name as a regular expression take its type and bounds
    # (e.g. the question columns of a respondent-level survey file, which differ by year)
    variable: Column | None = None
    # reshape after typing (e.g. a wide export to long form); must keep the _source_row column
    reshape: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    # the columns reshape produces (the raw table's columns); None when reshape keeps `columns`
    output: tuple[Column, ...] | None = None

    @property
    def required(self) -> set[str]:
        return {c.source for c in self.columns if c.required}

    @property
    def known(self) -> set[str]:
        return {c.source for c in self.columns}

    def unknown(self, header: set[str]) -> list[str]:
        """Header columns this format does not know (variable columns are known)."""
        pattern = re.compile(self.variable.name) if self.variable else None
        return sorted(c for c in header - self.known if not (pattern and pattern.fullmatch(c)))

    @property
    def stored(self) -> tuple[tuple[str, pl.DataType], ...]:
        """The raw table's columns (before the load metadata): dates of birth are stored as age bands, identifiers
        as pseudonyms."""
        return tuple(("age_band", pl.String) if c.privacy == "age_band"
                     else (c.name, PSEUDONYM) if c.privacy == "pseudonymise" else (c.name, c.dtype)
                     for c in (self.output or self.columns))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; line endings normalised to LF."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="strict")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text_frame(text: str, file: str, header: bool = True) -> pl.DataFrame:
    """A small file's text as a frame of strings, with the file line number of each row."""
    if not text.strip():
        raise RejectedFile(file, "the file is empty")
    try:
        df = pl.read_csv(text.encode(), has_header=header, infer_schema=False, raise_if_empty=True)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as err:
        raise RejectedFile(file, f"not a readable CSV table ({str(err).splitlines()[0]})", row=_ragged_row(text)) from err
    if header:
        df = df.rename({c: normalise_header(c) for c in df.columns})
    first_line = 2 if header else 1
    return df.with_row_index(ROW, offset=first_line).with_columns(pl.col(ROW).cast(pl.Int64))


def _ragged_row(text: str) -> int | None:
    """Line number of the first row whose field count differs from the first row's (for the message)."""
    width = None
    for line, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if width is None:
            width = len(fields)
        elif fields and len(fields) != width:
            return line
    return None


def normalise_header(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def drop_blank_rows(df: pl.DataFrame, values: list[str] | None = None) -> pl.DataFrame:
    """Blank lines read as rows of nulls in the file's columns (`values`; default: all but the line number); they
    are not data."""
    values = [c for c in df.columns if c != ROW] if values is None else values
    return df.filter(~pl.all_horizontal(pl.col(values).is_null())) if values else df


def _cast(col: Column, raw: pl.Expr) -> pl.Expr:
    if col.dtype == pl.Date:
        return raw.str.to_date(col.date_format or "%Y-%m-%d", strict=False)
    if col.dtype == pl.Datetime:
        return raw.str.to_datetime(col.date_format or "%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    if col.dtype == pl.String:
        return raw
    digits = raw.str.replace_all(",", "") if col.thousands else raw
    plain = digits.str.contains(INTEGER if col.dtype.is_integer() else DECIMAL)
    if col.thousands:
        plain = plain & (~raw.str.contains(",") | raw.str.contains(GROUPED))
    # anything else (NaN, inf, "1,0") is null here and rejected by _check_columns as not a number
    return pl.when(plain).then(digits).otherwise(None).cast(col.dtype, strict=False)


def _expected(col: Column) -> str:
    if col.dtype in (pl.Date, pl.Datetime):
        return f"a date like {col.date_format or ('%Y-%m-%d' if col.dtype == pl.Date else '%Y-%m-%dT%H:%M:%S')}"
    return "a whole number" if col.dtype.is_integer() else "a number"


def typed(df: pl.DataFrame, fmt: Format, file: str) -> pl.DataFrame:
    """Cast string columns to the format's types; reject the first value that will not cast or breaks a rule."""
    df = drop_blank_rows(df)
    if df.height == 0:
        raise RejectedFile(file, "the file has a header but no data rows")
    present = [c for c in fmt.columns if c.source in df.columns]
    if fmt.variable is not None:
        pattern = re.compile(fmt.variable.name)
        present += [Column(c, fmt.variable.dtype, required=False, nullable=True, min=fmt.variable.min,
                           max=fmt.variable.max) for c in df.columns if c != ROW and pattern.fullmatch(c)]
    missing = [c for c in fmt.columns if c.source not in df.columns]
    cleaned = []
    for col in present:
        raw = pl.col(col.source).str.strip_chars()
        cleaned.append(pl.when(raw.is_in(NULL_MARKERS)).then(None).otherwise(raw).alias(f"__raw_{col.name}"))
    # cleaned first, then cast from the cleaned column (inlined, the cleaning ran again inside every cast)
    out = df.select(pl.col(ROW), *cleaned).with_columns(_cast(col, pl.col(f"__raw_{col.name}")).alias(col.name)
                                                        for col in present)
    _check_columns(out, present, file, fmt.record_level)
    out = out.select(ROW, *[c.name for c in present],
                     *[pl.lit(None, dtype=c.dtype).alias(c.name) for c in missing])
    for message, column, is_bad in fmt.rules:
        bad = out.filter(pl.sql_expr(is_bad))
        if bad.height:
            raise RejectedFile(file, message, bad[ROW][0], column)
    return out


def _column_checks(col: Column) -> list[tuple[pl.Expr, str]]:
    """(true on a bad row, message) for one typed column, in the order they are reported."""
    value, raw = pl.col(col.name), pl.col(f"__raw_{col.name}")
    checks = [(raw.str.to_lowercase().str.contains(NON_FINITE), "{v} is not a finite number")] \
        if col.dtype.is_numeric() else []
    checks.append((raw.is_not_null() & value.is_null(), "{v} is not " + _expected(col)))
    if col.required and not col.nullable:
        checks.append((value.is_null(), "a value is required"))
    if col.pattern:
        checks.append((~value.str.contains(col.pattern), "{v} is not a valid " + col.name.replace("_", " ")))
    if col.values:
        checks.append((~value.is_in(col.values), "{v} is not one of " + ", ".join(col.values)))
    if col.min is not None:
        checks.append((value < col.min, f"{{v}} is below the allowed minimum {col.min}"))
    if col.max is not None:
        checks.append((value > col.max, f"{{v}} is above the allowed maximum {col.max}"))
    if col.dtype in (pl.Date, pl.Datetime):
        checks.append((value.cast(pl.Date).is_between(EARLIEST_DATE, LATEST_DATE).not_(),
                       f"{{v}} is outside the plausible range {EARLIEST_DATE} to {LATEST_DATE}"))
    return [(is_bad.fill_null(False), message) for is_bad, message in checks]


def _check_columns(out: pl.DataFrame, columns: list[Column], file: str, record_level: bool) -> None:
    """Every check of every column in one pass over the frame; the first failing one (columns in order) names
    its first bad row."""
    checks = [(col, is_bad, message) for col in columns for is_bad, message in _column_checks(col)]
    failed = out.select(is_bad.any().alias(str(i)) for i, (_, is_bad, _) in enumerate(checks)).row(0)
    for (col, is_bad, message), bad_somewhere in zip(checks, failed, strict=True):
        if bad_somewhere:
            bad = out.filter(is_bad)
            # no field of a record-level file lands in logs and quarantine notes: row and column only
            shown = "the value" if record_level or col.privacy else f"'{bad[f'__raw_{col.name}'][0]}'"
            raise RejectedFile(file, message.format(v=shown), bad[ROW][0], col.source)


def check_unique(df: pl.DataFrame, fmt: Format, file: str) -> None:
    dup = df.filter(pl.struct(list(fmt.key)).is_duplicated()).sort(ROW)
    if dup.height:
        raise RejectedFile(file, duplicate_key_message(fmt, dup.row(0, named=True)), dup[ROW][1], fmt.key[-1])


def duplicate_key_message(fmt: Format, row: dict) -> str:
    """Names the key's values, except in a record-level file (the message lands in logs and quarantine notes)."""
    grain = f"the grain is one row per {', '.join(fmt.key)}"
    if fmt.record_level:
        return f"duplicate key: an earlier row has the same {', '.join(fmt.key)}; {grain}"
    return f"duplicate key ({', '.join(f'{k}={row[k]}' for k in fmt.key)}); {grain}"
