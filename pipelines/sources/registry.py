"""Every extract format, recognising a file's format from its header (never from its name), and reading it.

CSV files are read in batches (`batch_rows`), so a national record-level extract never has to fit in memory:
polars scans the file lazily, each batch is typed, reshaped and pseudonymised before the next is read. Many small
files of one format (a month's per-organisation extracts) are read together in one pass (`read_together`), each
file's rows as reading it alone gives them. Files that are neither UTF-8 nor Windows-1252 text are rejected;
Windows-1252 is transcoded to a temporary UTF-8 copy first. Workbooks (XLSX) and headerless ODS extracts are small
and read whole.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import polars as pl

from . import pulse, reference, sickness, social_care, survey, turnover, workforce
from .base import (
    ROW,
    Format,
    RejectedFile,
    check_unique,
    decode,
    drop_blank_rows,
    looks_like_identifier,
    normalise_header,
    typed,
)
from .privacy import protect

FORMATS: tuple[Format, ...] = (*reference.FORMATS, *sickness.FORMATS, *workforce.FORMATS, *turnover.FORMATS,
                                *survey.FORMATS, *pulse.FORMATS, *social_care.FORMATS)
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(f.family for f in FORMATS))
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
ZIP_MAGIC = b"PK\x03\x04"  # an XLSX workbook is a zip archive, whatever the file is called
HEADER_SEARCH_ROWS = 20  # publishers put title and notes rows above the table in their workbooks
BLOCK = 1 << 20
OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}
EXTRACT = "__extract"  # in extracts read together: which one a row is from


class UnrecognisedHeader(RejectedFile):
    """No known format has this header."""


@dataclass(frozen=True)
class Extract:
    """A file to read, the name it arrived under (messages name it), and what one read of its bytes found:
    whether it is UTF-8, and the line of its first NUL byte. None: not known yet (the reader finds out)."""

    path: Path
    name: str
    utf8: bool | None = None
    nul_row: int | None = None

    @classmethod
    def of(cls, source: Path | Extract) -> Extract:
        return source if isinstance(source, Extract) else cls(Path(source), Path(source).name)


def copy_and_scan(source: Path, target: Path) -> tuple[str, int, Extract]:
    """Copy `source` to a new private file `target` (mode 0600) in one read that also hashes the bytes, checks
    them as UTF-8 and finds the first NUL byte: (SHA-256, bytes copied, the copy as an Extract)."""
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    utf8, nul_row, lines, size = True, None, 0, 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as src, os.fdopen(fd, "wb") as dst:
        for block in iter(lambda: src.read(BLOCK), b""):
            digest.update(block)
            dst.write(block)
            size += len(block)
            if nul_row is None and b"\x00" in block:
                nul_row = lines + block[:block.index(b"\x00")].count(b"\n") + 1
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            lines += block.count(b"\n")
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest(), size, Extract(target, source.name, utf8, nul_row)


def formats_of(family: str) -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.family == family)


def recognise(columns: list[str], file: str) -> Format:
    """The format whose columns the header holds (the most specific one if several do).

    Unknown columns reject the file; in a record-level file an unknown column that looks like a direct
    identifier (name, NHS or NI number, date of birth, postcode, address, email, phone) says so.
    """
    headerless = reference.recognise_headerless(columns)  # ODS extracts: recognised from their first row
    if headerless is not None:
        return headerless
    names = [normalise_header(c) for c in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise RejectedFile(file, f"column '{repeated[0]}' appears more than once in the header", row=1,
                           column=repeated[0])
    if len(names) == 1:
        for separator, word in OTHER_SEPARATORS.items():
            if separator in names[0]:
                raise RejectedFile(file, f"the file is not comma-separated (its header is {word}-separated); "
                                         "extracts must be CSV with commas", row=1)
    header = set(names)
    candidates = [f for f in FORMATS if f.header and f.required <= header]
    if not candidates:
        closest = max((f for f in FORMATS if f.header), key=lambda f: len(f.required & header) / len(f.required))
        if not closest.required & header:
            raise UnrecognisedHeader(file, "header not recognised: it shares no column with any known extract format "
                                           "(is it an extract at all?)", row=1)
        missing = sorted(closest.required - header)
        raise UnrecognisedHeader(file, f"header not recognised as any known extract format; the closest, "
                                       f"{closest.name}, lacks column(s) {', '.join(missing)}", row=1,
                                 column=missing[0])
    exact = [f for f in candidates if not f.unknown(header)]
    if exact:
        return max(exact, key=lambda f: len(f.required))
    fmt = max(candidates, key=lambda f: len(f.required))
    unknown = fmt.unknown(header)
    identifiers = [c for c in unknown if looks_like_identifier(c)] if fmt.record_level else []
    if identifiers:
        raise RejectedFile(file, f"column '{identifiers[0]}' looks like a direct identifier and is not in the "
                                 f"{fmt.name} contract; record-level extracts must not carry names, NHS or NI "
                                 "numbers, dates of birth, postcodes, addresses, emails or phone numbers",
                           row=1, column=identifiers[0])
    raise RejectedFile(file, f"unknown column '{unknown[0]}' for format {fmt.name}", row=1, column=unknown[0])


def sniff_columns(source: Path | Extract) -> list[str]:
    """The header of a file, read cheaply (first line of a CSV; the recognised table of a workbook)."""
    extract = Extract.of(source)
    path, name = extract.path, extract.name
    if _is_workbook(path):
        return _read_xlsx(extract)[1].columns[1:]
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise RejectedFile(name, "the file is empty")
    nul_row = extract.nul_row if extract.utf8 is not None else _first_nul_row(path)
    if nul_row is not None:
        raise RejectedFile(name, "the file is not UTF-8 or Windows-1252 text (it holds NUL bytes: UTF-16, a binary "
                                 "file, or a damaged copy?)", row=nul_row)
    first = head.split(b"\n", 1)[0]
    if b"\r" in first.rstrip(b"\r"):  # the parser would read the whole file as one line
        raise RejectedFile(name, "its lines end in a carriage return alone (an old Mac text file?); save it with "
                                 "Windows or Unix line endings", row=1)
    first_line = decode(first).strip("\n")
    if not first_line.strip():
        raise RejectedFile(name, "the first line is blank; it must be the header", row=1)
    try:
        return next(csv.reader([first_line]))
    except csv.Error as err:
        raise RejectedFile(name, f"the header line is not readable as CSV ({err})", row=1) from None


def read_extract(source: Path | Extract, key: bytes | None = None) -> tuple[Format, pl.DataFrame]:
    """Read, type and check one extract whole; raise RejectedFile naming file, row and column.

    Record-level formats need the pseudonymisation key: identifiers are replaced before the frame leaves here.
    """
    extract = Extract.of(source)
    fmt, batches = read_batches(extract, key)
    df = pl.concat(list(batches))
    check_unique(df, fmt, extract.name)
    return fmt, df


def read_batches(source: Path | Extract, key: bytes | None = None,
                 batch_rows: int | None = None) -> tuple[Format, Iterator[pl.DataFrame]]:
    """The file's format and its typed rows in batches of at most `batch_rows` (None: one batch).

    Each batch is checked, reshaped and pseudonymised on its own; uniqueness across batches is the caller's
    to check (landing does it in the warehouse). Errors surface while iterating, as RejectedFile.
    """
    extract = Extract.of(source)
    path, file = extract.path, extract.name
    if _is_workbook(path):
        fmt, frame, label = _read_xlsx(extract)
        _need_key(fmt, key)
        return fmt, iter([_finish(frame, fmt, label, key)])
    header = sniff_columns(extract)
    fmt = recognise(header, file)
    _need_key(fmt, key)
    if not fmt.header:  # headerless ODS extracts are laid out by the reference module (and small)
        frame = reference.headerless_frame(decode(path.read_bytes()), file)
        return fmt, iter([_finish(frame, fmt, file, key)])
    return fmt, _csv_batches(extract, fmt, [normalise_header(c) for c in header], key, batch_rows)


def read_together(extracts: list[Extract], key: bytes | None = None
                  ) -> tuple[Format, list[pl.DataFrame | None]] | None:
    """Several CSV extracts of one format read, typed and pseudonymised in one pass: the format and each extract's
    rows as `read_batches` gives them in one batch, or None for an extract to be read alone (not plain UTF-8, no
    header or another one than the first plain file's, no data rows, a short row). None for them all when a value or a
    rule fails, or polars cannot read them: `read_batches` then reads each, to load it or reject it as it says. Any
    other error is raised (the caller then reads each alone, which raises it with the file it is in). A month's
    hundreds of per-organisation files pay polars' and Python's per-call costs once, not once a file (reading a
    month's absence files, nothing else: 2.1 s one by one, 0.7 s together)."""
    headers = [_plain_header(e) for e in extracts]
    header = next((h for h in headers if h is not None), None)
    if header is None:
        return None
    fmt = recognise(header, extracts[headers.index(header)].name)
    if not fmt.header or fmt.reshape is not None or fmt.variable is not None:
        return None
    _need_key(fmt, key)
    together = [i for i, h in enumerate(headers) if h == header]
    try:
        frame = pl.concat(_scan(extracts[i].path).with_columns(pl.lit(i, dtype=pl.Int32).alias(EXTRACT))
                          for i in together).collect()
        # a null in the last column may be a short row: those files are counted, and one with a short row read alone
        suspects = frame.filter(pl.col(header[-1]).is_null()).get_column(EXTRACT).unique().to_list()
        short = pl.concat(_miscounted_lines(extracts[i].path, len(header)).head(1)
                          .with_columns(pl.lit(i, pl.Int32).alias(EXTRACT)) for i in suspects
                          ).collect().get_column(EXTRACT).to_list() if suspects else []
        frame = drop_blank_rows(frame.filter(~pl.col(EXTRACT).is_in(short)), values=header)
        # typing and pseudonymising keep every row in its place; a file left with no row is read alone
        rows = _finish(frame.drop(EXTRACT), fmt, extracts[0].name, key) if frame.height else frame
    except (RejectedFile, pl.exceptions.PolarsError, pl.exceptions.PanicException):
        return None
    lengths = dict(frame.group_by(EXTRACT, maintain_order=True).len().iter_rows())
    starts = dict(zip(lengths, accumulate(lengths.values(), initial=0), strict=False))  # one start more than files
    return fmt, [rows.slice(starts[i], lengths[i]) if i in lengths else None for i in range(len(extracts))]


def _scan(source: Path) -> pl.LazyFrame:
    """A UTF-8 CSV's fields as text under its normalised header, each row with its line in the file (the header is
    line 1), whether the file is read alone or with others."""
    return (pl.scan_csv(source, has_header=True, infer_schema=False).rename(normalise_header)
            .with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)))


def _plain_header(extract: Extract) -> list[str] | None:
    """The normalised header of a plain UTF-8 CSV extract (None for any other: it is read alone)."""
    if extract.utf8 is not True or extract.nul_row is not None or _is_workbook(extract.path):
        return None
    try:
        return [normalise_header(c) for c in sniff_columns(extract)]
    except RejectedFile:
        return None


def load_note(fmt: Format, df: pl.DataFrame) -> str:
    """Format-specific facts for the load message (e.g. an ODS snapshot's date and its blank ICB fields)."""
    return reference.load_note(df) if fmt is reference.ODS_ORGANISATIONS else ""


def _need_key(fmt: Format, key: bytes | None) -> None:
    if fmt.record_level and key is None:
        raise ValueError("record-level extracts need a pseudonymisation key")


def _finish(frame: pl.DataFrame, fmt: Format, file: str, key: bytes | None) -> pl.DataFrame:
    df = typed(frame, fmt, file)
    if fmt.reshape is not None:
        df = fmt.reshape(df)
    return protect(df, fmt, key) if fmt.record_level else df


def _csv_batches(extract: Extract, fmt: Format, header: list[str], key: bytes | None,
                 batch_rows: int | None) -> Iterator[pl.DataFrame]:
    file = extract.name
    with _as_utf8(extract) as source:
        lazy = _scan(source)
        try:
            frames = iter(lazy.collect_batches(chunk_size=batch_rows)) if batch_rows else iter([lazy.collect()])
        except pl.exceptions.PolarsError as err:
            raise _unreadable(source, file, header, fmt, err) from None
        any_rows, counted = False, False
        while True:
            try:
                frame = next(frames, None)
            except pl.exceptions.PolarsError as err:
                raise _unreadable(source, file, header, fmt, err) from None
            if frame is None:
                break
            # the parser rejects a row with too many fields but pads a short one with nulls: only a row whose last
            # field is empty can be short, so only then are the file's rows counted (once), before any is typed
            if not counted and frame.get_column(header[-1]).has_nulls():
                _check_field_counts(source, len(header), file)
                counted = True
            frame = drop_blank_rows(frame)
            if frame.height:
                any_rows = True
                yield _finish(frame, fmt, file, key)
        if not any_rows:
            raise RejectedFile(file, "the file has a header but no data rows")


def _unreadable(source: Path, file: str, header: list[str], fmt: Format, err: Exception) -> RejectedFile:
    """Where and why the CSV parser gave up (a row with more fields than the header, a malformed quote), without
    quoting any field (the parser's own message does, so it is shown only for formats that hold no record-level
    data, and only when neither explains it)."""
    _check_field_counts(source, len(header), file)
    row, field, problem = _quote_problem(source)
    if row is not None:
        column = header[field] if field < len(header) else f"field {field + 1}"
        return RejectedFile(file, f"not a readable CSV table: {problem}", row=row, column=column)
    detail = "" if fmt.record_level else f" ({str(err).splitlines()[0]})"
    return RejectedFile(file, f"not a readable CSV table{detail}")


def _quote_problem(source: Path) -> tuple[int | None, int, str]:
    """The line and field (0-based) of the first malformed quote, and what is wrong with it; (None, 0, "") when
    every quote is well formed. Runs only after the parser failed, and walks only lines holding quotes."""
    in_quotes, opened_at = False, (0, 0)
    with source.open(encoding="utf-8-sig", newline="") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not in_quotes and '"' not in line:
                continue
            text, i, field, at_start = line.rstrip("\r\n"), 0, opened_at[1] if in_quotes else 0, not in_quotes
            while i < len(text):
                ch = text[i]
                if in_quotes:
                    if ch == '"' and text[i + 1:i + 2] == '"':
                        i += 1
                    elif ch == '"':
                        in_quotes = False
                        if text[i + 1:i + 2] not in ("", ","):
                            return line_number, field, "text follows a closing quote in the same field (quote the " \
                                                       "whole field and double any quote inside it)"
                elif ch == ",":
                    field, at_start = field + 1, True
                    i += 1
                    continue
                elif ch == '"' and at_start:
                    in_quotes, opened_at = True, (line_number, field)
                elif ch == '"':
                    return line_number, field, "a quote inside an unquoted field (quote the whole field and " \
                                               "double the quote inside it)"
                at_start = False
                i += 1
    if in_quotes:
        return opened_at[0], opened_at[1], "a quoted field is never closed (a missing closing quote?)"
    return None, 0, ""


def _check_field_counts(source: Path, width: int, file: str) -> None:
    """Reject the first row with more or fewer fields than the header (polars would pad a short row with nulls)."""
    bad = _miscounted_lines(source, width).head(1).collect()
    if bad.height:
        n, row = bad["fields"][0], bad["line_number"][0]
        what = "truncated?" if n < width else "an unquoted comma, or a wrong delimiter?"
        raise RejectedFile(file, f"the row has {n} fields but the header has {width} ({what})", row=row)


def _miscounted_lines(source: Path, width: int) -> pl.LazyFrame:
    """The lines with more or fewer fields than `width` (line_number, fields). Lines holding an odd number of quotes
    belong to a field spanning lines and are not counted."""
    line = pl.col("line")
    fields = line.str.replace_all('"[^"]*"', "").str.count_matches(",") + 1
    return (pl.scan_csv(source, has_header=False, separator="\x1f", quote_char=None, infer_schema=False,
                        new_columns=["line"])
            .with_row_index("line_number", offset=1)
            .filter(line.is_not_null() & (line.str.count_matches('"') % 2 == 0) & (fields != width))
            .select("line_number", fields.alias("fields")))


@contextmanager
def _as_utf8(extract: Extract) -> Iterator[Path]:
    """The file itself when it is UTF-8 (with or without BOM); else a temporary UTF-8 copy of its Windows-1252 text."""
    if extract.utf8 if extract.utf8 is not None else _is_utf8(extract.path):
        yield extract.path
        return
    with tempfile.TemporaryDirectory(prefix="wellbeing-") as tmp:
        target = Path(tmp) / "utf8.csv"
        _transcode_cp1252(extract, target)
        yield target


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            for block in iter(lambda: fh.read(BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _first_nul_row(path: Path) -> int | None:
    lines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            if b"\x00" in block:
                return lines + block[:block.index(b"\x00")].count(b"\n") + 1
            lines += block.count(b"\n")
    return None


def _transcode_cp1252(extract: Extract, target: Path) -> None:
    lines_before = 0
    with extract.path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        for block in iter(lambda: src.read(BLOCK), b""):
            try:
                out.write(block.decode("cp1252"))  # single-byte encoding: blocks never split a character
            except UnicodeDecodeError as err:
                row = lines_before + block[:err.start].count(b"\n") + 1
                raise RejectedFile(extract.name, f"byte 0x{block[err.start]:02x} is neither UTF-8 nor Windows-1252 "
                                              "text; save the file as UTF-8", row=row) from None
            lines_before += block.count(b"\n")


def _is_workbook(path: Path) -> bool:
    if path.suffix.lower() in XLSX_SUFFIXES:
        return True
    with path.open("rb") as fh:
        return fh.read(len(ZIP_MAGIC)) == ZIP_MAGIC


def _read_xlsx(extract: Extract) -> tuple[Format, pl.DataFrame, str]:
    """The first table in a known format in any sheet (its header may sit below title rows), as strings.

    Row numbers count from the sheet's first used row, which is the spreadsheet's own numbering whenever the
    sheet starts at row 1, as publishers' sheets do (the reader does not report where the used range starts).
    """
    path = extract.path
    try:
        sheets = pl.read_excel(path, sheet_id=0, engine="calamine", has_header=False, infer_schema_length=0,
                               drop_empty_rows=False, raise_if_empty=False)
    except Exception as err:  # noqa: BLE001 - calamine raises its own error types for corrupt workbooks
        raise RejectedFile(extract.name, f"not a readable XLSX workbook ({str(err).splitlines()[0]})") from err
    for name, sheet in sheets.items():
        label = f"{extract.name} [{name}]"
        for i in range(min(HEADER_SEARCH_ROWS, sheet.height)):
            cells = ["" if v is None else str(v) for v in sheet.row(i)]
            while cells and not cells[-1].strip():
                cells.pop()
            if len(cells) < 2:
                continue
            try:
                fmt = recognise(cells, label)
            except UnrecognisedHeader:
                continue
            body = sheet.slice(i + 1).select(sheet.columns[:len(cells)])
            body = body.rename(dict(zip(body.columns, (normalise_header(c) for c in cells), strict=False)))
            body = body.with_row_index(ROW, offset=i + 2).with_columns(pl.col(ROW).cast(pl.Int64))
            return fmt, _excel_dates(body, fmt), label
    raise RejectedFile(extract.name, f"no sheet holds a table in a known format (sheets: {', '.join(sheets) or 'none'})")


def _excel_dates(body: pl.DataFrame, fmt: Format) -> pl.DataFrame:
    """Date cells come out of a workbook as ISO text; write them the way the format's CSV would."""
    fixes = []
    for col in fmt.columns:
        if col.dtype == pl.Date and col.source in body.columns:
            iso = pl.col(col.source).str.extract(r"^(\d{4}-\d{2}-\d{2})(?: 00:00:00)?$")
            as_format = iso.str.to_date("%Y-%m-%d", strict=False).dt.strftime(col.date_format or "%Y-%m-%d")
            fixes.append(pl.when(iso.is_not_null()).then(as_format).otherwise(pl.col(col.source)).alias(col.source))
    return body.with_columns(fixes)
