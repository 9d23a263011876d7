"""A corpus of bad (and awkward but good) files, each landed into a warehouse that already holds a good file
of every format. Each gets its documented outcome and a message naming the file, the row and the column; a
file that is not loaded leaves every raw table except raw.load_log exactly as it was.

Documented outcomes worth stating:
- an organisation code that is not an ODS code in shape (lower case, spaces, too long) is rejected;
- a well-formed organisation code the reference data does not know is loaded: publications name new
  organisations before reference data catches up, and rejecting a national file for one of them would block
  every other organisation. dbt staging flags such codes with warning-severity relationship tests, and the
  organisation stays out of ICS roll-ups until a reference snapshot places it;
- Windows-1252, a UTF-8 byte-order mark and CRLF line endings load like plain UTF-8.
"""
from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from pipelines.landing import ensure_raw_tables, load_file
from pipelines.settings import Home
from tests.fixtures.samples import SAMPLES, write_sample

KEY = b"landing-test-key"
SICKNESS = SAMPLES["sickness_org"][1]
ABSENCE = SAMPLES["absence_episodes"][1]
MAY = SICKNESS.replace("30/04/2024", "31/05/2024")  # a month the warehouse does not hold yet


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Path], Path]  # writes the file into the landing folder
    outcome: str
    row: int | None = None
    column: str | None = None
    says: str = ""
    rows_loaded: int = 0


def text(name: str, body: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def make(landing: Path) -> Path:
        path = landing / name
        path.write_bytes(body.encode(encoding))
        return path
    return make


def raw_bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(landing: Path) -> Path:
        path = landing / name
        path.write_bytes(data)
        return path
    return make


def replaced(body: str, old: str, new: str) -> str:
    assert old in body, old
    return body.replace(old, new, 1)


def workbook(name: str, sheets: dict[str, list[list]]) -> Callable[[Path], Path]:
    def make(landing: Path) -> Path:
        path = landing / name
        book = xlsxwriter.Workbook(path)
        for sheet_name, rows in sheets.items():
            sheet = book.add_worksheet(sheet_name)
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
        book.close()
        return path
    return make


def lines(body: str) -> list[str]:
    return body.splitlines()


CASES = [
    Case("empty file", text("empty.csv", ""), "rejected", says="the file is empty"),
    Case("only blank lines", text("blank.csv", "\n\n  \n"), "rejected", says="the file is empty"),
    Case("header only", text("header.csv", lines(SICKNESS)[0] + "\n"), "rejected",
         says="the file has a header but no data rows"),
    Case("blank first line", text("blank_first.csv", "\n" + SICKNESS), "rejected", row=1,
         says="the first line is blank"),
    Case("truncated last row", text("truncated.csv", SICKNESS[:-40]), "rejected", row=4,
         says="the row has 8 fields but the header has 11 (truncated?)"),
    Case("unquoted comma adds a field", text("extra_field.csv", replaced(MAY, "Lewisham and Greenwich", "Lewisham, Greenwich")),
         "rejected", row=3, says="the row has 12 fields but the header has 11"),
    Case("old Mac line endings (a carriage return alone)", text("cr_only.csv", SICKNESS.replace("\n", "\r")),
         "rejected", row=1, says="its lines end in a carriage return alone"),
    Case("semicolon-delimited", text("semicolon.csv", SICKNESS.replace(",", ";")), "rejected", row=1,
         says="not comma-separated (its header is semicolon-separated)"),
    Case("tab-delimited", text("tab.csv", SICKNESS.replace(",", "\t")), "rejected", row=1,
         says="tab-separated"),
    Case("unknown column", text("unknown.csv", "\n".join([lines(MAY)[0] + ",MOOD"] + [r + ",ok" for r in lines(MAY)[1:]]) + "\n"),
         "rejected", row=1, column="mood", says="unknown column 'mood' for format sickness_org"),
    Case("header repeats a column", text("repeat.csv", "\n".join([lines(MAY)[0] + ",ORG_CODE"] + [r + ",RJ1" for r in lines(MAY)[1:]]) + "\n"),
         "rejected", row=1, column="org_code", says="appears more than once in the header"),
    Case("missing required column", text("missing.csv", "\n".join(",".join(r.split(",")[:-1]) for r in lines(MAY)) + "\n"),
         "rejected", row=1, column="sickness_absence_rate_percent", says="lacks column(s) sickness_absence_rate_percent"),
    Case("not an extract at all", text("notes.csv", "title,author\nMinutes,Board\n"), "rejected", row=1,
         says="shares no column with any known extract format"),
    Case("text in a number column", text("text_number.csv", replaced(MAY, "512.25", "n/a")), "rejected", row=3,
         column="fte_days_lost", says="'n/a' is not a number"),
    Case("negative days", text("negative.csv", replaced(MAY, "1000.5,20000,5.00", "-1000.5,20000,5.00")), "rejected",
         row=2, column="fte_days_lost", says="'-1000.5' is below the allowed minimum 0"),
    Case("days lost above days available", text("impossible.csv", replaced(MAY, "1000.5,20000,5.00", "30000,20000,150.00")),
         "rejected", row=2, column="sickness_absence_rate_percent", says="above the allowed maximum 100"),
    Case("rate disagrees with its days", text("rate.csv", replaced(MAY, "512.25,10245,5.00", "512.25,10245,5.10")),
         "rejected", row=3, column="sickness_absence_rate_percent", says="does not equal FTE days lost"),
    Case("impossible FTE in a record-level file", text("esr_staff_in_post_RJ9.csv",
         replaced(SAMPLES["staff_in_post"][1].replace("RJ1", "RJ9"), ",0.6,", ",6,")), "rejected", row=3,
         column="fte", says="the value is above the allowed maximum 1.5"),
    Case("not a date", text("bad_date.csv", MAY.replace("31/05/2024", "31/02/2024")), "rejected", row=2,
         column="date", says="'31/02/2024' is not a date like %d/%m/%Y"),
    Case("date out of range", text("esr_absence_RJ9.csv", replaced(ABSENCE.replace("RJ1", "RJ9"), "2024-05-20", "1899-05-20")),
         "rejected", row=3, column="absence_start", says="outside the plausible range 1948-07-05 to 2100-01-01"),
    Case("episode after its extract", text("esr_absence_RJ8.csv", replaced(ABSENCE.replace("RJ1", "RJ8"), "2024-05-20", "2024-07-20")),
         "rejected", row=3, column="absence_start", says="starts after the extract date"),
    Case("required value blank", text("blank_org.csv", replaced(MAY, ",RJ2,", ",,")), "rejected", row=3,
         column="org_code", says="a value is required"),
    Case("duplicate key in the file", text("dup.csv", MAY + lines(MAY)[2] + "\n"), "rejected", row=5,
         column="org_code", says="duplicate key (date=2024-05-31, org_code=RJ2)"),
    Case("duplicate key in a record-level file hides the identifier", text("esr_leavers_RJ7.csv",
         SAMPLES["leavers"][1].replace("RJ1", "RJ7") + lines(SAMPLES["leavers"][1].replace("RJ1", "RJ7"))[1] + "\n"),
         "rejected", row=4, column="leave_date", says="duplicate key: an earlier row has the same employee_id, org_code"),
    Case("malformed organisation code", text("bad_org.csv", replaced(MAY, ",RJ2,", ",rj 2,")), "rejected", row=3,
         column="org_code", says="'rj 2' is not a valid org code"),
    Case("rows already loaded from another file", text("sickness_april_again.csv", SICKNESS.replace("1000.5", "1000.4")),
         "rejected", row=2, column="org_code", says="already loaded from 'sickness_org_2024-04.csv'"),
    Case("bad date of birth, not repeated in the message", text("esr_staff_in_post_RJ5.csv",
         replaced(SAMPLES["staff_in_post"][1].replace("RJ1", "RJ5"), "1999-12-31", "31/12/1999")), "rejected", row=3,
         column="date_of_birth", says="the value is not a date like %Y-%m-%d"),
    Case("identifier column in a record-level file", text("esr_absence_RJ6.csv",
         "\n".join([lines(ABSENCE)[0] + ",nhs_number"] + [r.replace("RJ1", "RJ6") + ",9434765919" for r in lines(ABSENCE)[1:]]) + "\n"),
         "rejected", row=1, column="nhs_number", says="looks like a direct identifier"),
    Case("UTF-16", text("utf16.csv", MAY, "utf-16"), "rejected", row=1, says="holds NUL bytes"),
    Case("neither UTF-8 nor Windows-1252", raw_bytes("bad_bytes.csv", replaced(MAY, "Lewisham", "Lewi\x81ham").encode("latin-1")),
         "rejected", row=3, says="byte 0x81 is neither UTF-8 nor Windows-1252"),
    Case("binary file", raw_bytes("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "rejected", says="NUL bytes"),
    Case("unterminated quote", text("quote.csv", replaced(MAY, "Lewisham and Greenwich NHS Trust", '"Lewisham and Greenwich NHS Trust')),
         "rejected", row=3, column="org_name", says="a quoted field is never closed"),
    Case("NaN in a published rate", text("nan.csv", replaced(MAY, "512.25,10245,5.00", "512.25,10245,NaN")),
         "rejected", row=3, column="sickness_absence_rate_percent", says="'NaN' is not a finite number"),
    Case("infinity in published days", text("inf.csv", replaced(MAY, "512.25,10245", "512.25,inf")),
         "rejected", row=3, column="fte_days_available", says="'inf' is not a finite number"),
    Case("infinity in a record-level file, value not repeated", text("esr_staff_in_post_RJ4.csv",
         replaced(SAMPLES["staff_in_post"][1].replace("RJ1", "RJ4"), ",0.6,", ",-Infinity,")), "rejected", row=3,
         column="fte", says="the value is not a finite number"),
    Case("decimal comma", text("comma.csv", replaced(MAY, "512.25,10245", '"512,25",10245')), "rejected", row=3,
         column="fte_days_lost", says="'512,25' is not a number"),
    Case("NUL byte beyond the first 64 KiB", text("nul_late.csv", "\n".join(
         [lines(MAY)[0], *[lines(MAY)[1].replace("RJ1", f"R{i:04d}") for i in range(1200)]]).replace(
         "R1100,Guy's", "R1100,Gu\x00y's") + "\n"), "rejected", row=1102, says="holds NUL bytes"),
    Case("stray quote in a record-level file, value not repeated", text("esr_leavers_RJ3.csv",
         replaced(SAMPLES["leavers"][1].replace("RJ1", "RJ3"), "10004,", '"10004"7,')), "rejected", row=3,
         column="employee_id", says="text follows a closing quote"),
    Case("workbook with no data sheet", workbook("sickness.xlsx", {"Notes": [["NHS Sickness Absence Rates"], ["Data to follow"]]}),
         "rejected", says="no sheet holds a table in a known format (sheets: Notes)"),
    Case("corrupt workbook", raw_bytes("broken.xlsx", b"PK\x03\x04 not really a workbook"), "rejected",
         says="not a readable XLSX workbook"),
    Case("workbook with a bad cell", workbook("may.xlsx", {"Data": [lines(MAY)[0].split(","),
         ["31/05/2024", "Y56", "London", "QKK", "SEL", "RJ1", "Guy's", "Acute", "lots", 20000, 5.0]]}),
         "rejected", row=2, column="fte_days_lost", says="'lots' is not a number"),
    # good files: they load
    Case("Windows-1252", text("sickness_may_cp1252.csv", MAY.replace("Guy's", "Guy’s"), "cp1252"), "loaded", rows_loaded=3),
    Case("UTF-8 with BOM and CRLF", raw_bytes("sickness_may_bom.csv", b"\xef\xbb\xbf" + MAY.replace("\n", "\r\n").encode()),
         "loaded", rows_loaded=3),
    Case("unknown but well-formed organisation code", text("sickness_may_new_org.csv", MAY.replace(",RJ2,", ",ZZ9X1,")),
         "loaded", rows_loaded=3),
]


def dump(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Every raw table but the load log, and the rows kept aside: columns and types, and all rows in order."""
    tables = [f"{schema}.{t}" for schema, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_schema in ('raw', 'landing') "
        "and table_name <> 'load_log' order by all").fetchall()]
    return {t: [con.execute(f"describe {t}").fetchall(), con.execute(f"select * from {t} order by all").fetchall()]
            for t in tables}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A home whose warehouse holds one good file of every format (built once, copied per test)."""
    home = Home(tmp_path_factory.mktemp("template") / "home").ensure()
    with duckdb.connect(str(home.build_db)) as con:
        ensure_raw_tables(con)
        for name in SAMPLES:
            assert load_file(con, home, write_sample(home.landing, name), KEY).outcome == "loaded"
    return home.root


@pytest.fixture
def loaded(template, tmp_path):
    home = Home(Path(shutil.copytree(template, tmp_path / "home")))
    con = duckdb.connect(str(home.build_db))
    yield home, con
    con.close()


def test_the_corpus_covers_at_least_twenty_kinds_of_bad_file():
    assert len({c.id for c in CASES if c.outcome == "rejected"}) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_file_gets_its_outcome_and_a_rejection_changes_nothing(loaded, case):
    home, con = loaded
    before = dump(con)
    path = case.make(home.landing)
    original = path.read_bytes()
    result = load_file(con, home, path, KEY)

    assert result.outcome == case.outcome, result.message
    logged = con.execute("select outcome, message from raw.load_log where file_name = ? order by logged_at desc",
                         [path.name]).fetchone()
    assert logged == (case.outcome, result.message)
    if case.outcome == "rejected":
        assert result.message.startswith(f"{path.name}")
        for secret in ("10004", "-Infinity"):  # values of record-level files are never repeated
            assert secret not in result.message
        assert case.says in result.message
        if case.row:
            assert f"row {case.row}" in result.message
        if case.column:
            assert f"column {case.column}" in result.message
        assert dump(con) == before
        assert not path.exists()
        reason = home.quarantine / f"{result.load_id}.reason.txt"
        assert reason.read_text().strip() == result.message
        assert (home.root / result.stored_as).read_bytes() == original
    else:
        after = dump(con)
        assert after != before
        assert result.rows_loaded == case.rows_loaded
        assert (home.root / result.stored_as).read_bytes() == original


def test_the_same_file_twice_is_a_duplicate_and_changes_nothing(loaded):
    home, con = loaded
    first = write_sample(home.landing, "sickness_org", MAY, "may.csv")
    assert load_file(con, home, first, KEY).outcome == "loaded"
    before = dump(con)
    again = write_sample(home.landing, "sickness_org", MAY, "may_copy.csv")
    result = load_file(con, home, again, KEY)
    assert result.outcome == "duplicate"
    assert "identical content already loaded" in result.message
    assert dump(con) == before


def test_a_corrected_resend_under_the_same_name_supersedes_the_earlier_rows(loaded):
    home, con = loaded
    name = SAMPLES["sickness_org"][0]
    corrected = SICKNESS.replace("1000.5,20000,5.00", "1100.5,20000,5.50")
    result = load_file(con, home, write_sample(home.landing, "sickness_org", corrected, name), KEY)
    assert result.outcome == "loaded"
    assert result.rows_superseded == 3
    assert f"superseded 3 rows of an earlier load of {name}" in result.message
    rows = con.execute("select org_code, fte_days_lost, _source_sha256 from raw.sickness_org order by org_code").fetchall()
    assert [(o, d) for o, d, _ in rows] == [("0AR", 1868.54684), ("RJ1", 1100.5), ("RJ2", 512.25)]
    assert len({sha for *_, sha in rows}) == 1
    archived = con.execute("select archived_as from raw.load_log where file_name = ? and outcome = 'loaded'",
                           [name]).fetchall()
    assert len(archived) == 2 and all((home.root / a).exists() for (a,) in archived)


def test_a_resend_covering_fewer_organisations_keeps_the_others(loaded):
    home, con = loaded
    name = SAMPLES["sickness_org"][0]
    only_rj1 = "\n".join(lines(SICKNESS)[:2]).replace("1000.5,20000,5.00", "999.5,20000,5.00") + "\n"
    result = load_file(con, home, write_sample(home.landing, "sickness_org", only_rj1, name), KEY)
    assert (result.outcome, result.rows_superseded) == ("loaded", 1)
    assert con.execute("select org_code, fte_days_lost from raw.sickness_org order by 1").fetchall() == [
        ("0AR", 1868.54684), ("RJ1", 999.5), ("RJ2", 512.25)]


def test_a_workbook_loads_like_its_csv(loaded):
    home, con = loaded
    make = workbook("may.xlsx", {"Cover": [["NHS Sickness Absence Rates"]],
                                 "Data": [lines(MAY)[0].split(","), *[r.split(",") for r in lines(MAY)[1:]]]})
    path = make(home.landing)
    result = load_file(con, home, path, KEY)
    assert (result.outcome, result.rows_loaded) == ("loaded", 3)
    assert con.execute("select count(*) from raw.sickness_org where date = ?", [dt.date(2024, 5, 31)]).fetchone() == (3,)
