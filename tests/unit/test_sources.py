"""The pure readers: recognition from the header, typing with row/column errors, encodings, batches, workbooks,
privacy on load."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import xlsxwriter

from pipelines.sources import FORMATS, RejectedFile, read_extract, recognise
from pipelines.sources.base import ROW, looks_like_identifier
from pipelines.sources.privacy import pseudonym
from pipelines.sources.registry import Extract, read_batches, read_together
from tests.fixtures.samples import SAMPLES, write_sample

KEY = b"unit-test-key"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_is_recognised_as_its_format_and_typed(tmp_path, name):
    fmt, df = read_extract(write_sample(tmp_path, name), KEY)
    assert fmt.name == name
    assert df.height >= 2
    assert set(df.columns) == {ROW, *(c for c, _ in fmt.stored)}
    assert dict(fmt.stored) == {c: df.schema[c].base_type() for c in df.columns if c != ROW}


def test_every_format_has_a_sample_or_is_covered_elsewhere():
    covered_elsewhere = {"ods_organisations", "nhs_staff_survey_orgs_wide", "social_care_la_derived"}
    assert {f.name for f in FORMATS} == set(SAMPLES) | covered_elsewhere


def test_the_most_specific_format_wins_when_a_staff_group_file_carries_the_organisation_columns():
    header = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE", "ORG_NAME",
              "ORG_TYPE", "CLUSTER_GROUP", "BENCHMARK_GROUP", "STAFF_GROUP", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE",
              "SICKNESS_ABSENCE_RATE_PERCENT"]
    assert recognise(header, "f.csv").name == "sickness_staff_group"
    assert recognise([h for h in header if h not in {"CLUSTER_GROUP", "BENCHMARK_GROUP", "STAFF_GROUP"}],
                     "f.csv").name == "sickness_org"


def test_header_case_quotes_and_spaces_do_not_matter():
    assert recognise([' "Date" ', "nhse_region_code", "Ics_Code", "ICS_NAME", "ORG_CODE", "ORG_NAME", "ORG_TYPE",
                      "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT"], "f.csv").name == "sickness_org"


@pytest.mark.parametrize("column", ["surname", "NHS_Number", "ni_number", "postcode", "address_line_1", "email",
                                    "phone", "date_of_birth", "first name"])
def test_an_identifier_column_in_a_record_level_file_is_rejected_as_such(tmp_path, column):
    _, text = SAMPLES["absence_episodes"]
    lines = text.splitlines()
    bad = "\n".join([lines[0] + f",{column}"] + [line + ",x" for line in lines[1:]]) + "\n"
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, "absence_episodes", bad), KEY)
    assert err.value.row == 1 and err.value.column == column.lower()
    assert "looks like a direct identifier" in err.value.message


def test_identifier_detection_spares_organisation_and_team_columns():
    assert not any(looks_like_identifier(c) for c in ("org_name", "ics_name", "team_id", "employee_id", "staff_group"))


def test_an_unknown_column_that_is_no_identifier_is_rejected_as_unknown(tmp_path):
    _, text = SAMPLES["leavers"]
    lines = text.splitlines()
    bad = "\n".join([lines[0] + ",shoe_size"] + [line + ",9" for line in lines[1:]]) + "\n"
    with pytest.raises(RejectedFile, match="unknown column 'shoe_size' for format leavers") as err:
        read_extract(write_sample(tmp_path, "leavers", bad), KEY)
    assert (err.value.row, err.value.column) == (1, "shoe_size")


def test_a_value_that_does_not_cast_names_its_line_and_column(tmp_path):
    _, text = SAMPLES["sickness_org"]
    bad = text.replace("512.25", "five hundred")
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, "sickness_org", bad))
    assert (err.value.row, err.value.column) == (3, "fte_days_lost")
    assert "'five hundred' is not a number" in err.value.message
    assert str(err.value).startswith("sickness_org_2024-04.csv: row 3, column fte_days_lost:")


def test_the_published_rate_must_reproduce_from_the_days(tmp_path):
    _, text = SAMPLES["sickness_org"]
    with pytest.raises(RejectedFile, match="does not equal FTE days lost") as err:
        read_extract(write_sample(tmp_path, "sickness_org", text.replace(",3.53\n", ",3.56\n")))
    assert (err.value.row, err.value.column) == (4, "sickness_absence_rate_percent")


@pytest.mark.parametrize("encoding, newline, bom", [("utf-8", "\n", False), ("utf-8", "\r\n", True),
                                                     ("cp1252", "\r\n", False), ("cp1252", "\n", False)])
def test_utf8_bom_crlf_and_windows_1252_all_read_the_same(tmp_path, encoding, newline, bom):
    _, text = SAMPLES["sickness_org"]
    text = text.replace("Guy's", "Guy’s").replace("Lewisham", "Lewishäm").replace("\n", newline)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    fmt, df = read_extract(path)
    assert fmt.name == "sickness_org"
    assert df["org_name"].to_list()[:2] == ["Guy’s and St Thomas' NHS Foundation Trust", "Lewishäm and Greenwich NHS Trust"]
    assert df[ROW].to_list() == [2, 3, 4]


def test_batches_give_the_same_rows_as_one_read_with_line_numbers_of_the_whole_file(tmp_path):
    _, text = SAMPLES["staff_in_post"]
    header, *rows = text.splitlines()
    many = [r.replace("10001,10001", f"{i},{i}").replace("10002,10002-2", f"{i}b,{i}b")
            for i in range(7) for r in rows[:2]]
    path = write_sample(tmp_path, "staff_in_post", "\n".join([header, *many]) + "\n")
    fmt, whole = read_extract(path, KEY)
    _, batches = read_batches(path, KEY, batch_rows=3)
    parts = list(batches)
    assert [p.height for p in parts] == [3, 3, 3, 3, 2]
    assert pl.concat(parts).equals(whole)
    assert whole[ROW].to_list() == list(range(2, 16))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_files_read_together_give_each_file_s_rows_as_read_alone(tmp_path, name):
    file_name, text = SAMPLES[name]
    header, *rows = text.splitlines()
    paths = [write_sample(tmp_path, name, "\n".join([header, *rows[:n]]) + "\n", f"{n}_{file_name}")
             for n in range(1, len(rows) + 1)]
    read = read_together([Extract(p, p.name, utf8=True) for p in paths], KEY)
    fmt = recognise([c.lower() for c in header.split(",")], file_name)
    if fmt.reshape is not None or fmt.variable is not None:  # reshaped file by file (e.g. respondents' answers)
        assert read is None
        return
    assert read is not None and read[0] is fmt
    for path, frame in zip(paths, read[1], strict=True):
        assert frame.equals(read_extract(path, KEY)[1])


def test_files_read_together_leave_each_odd_one_to_be_read_alone(tmp_path):
    """A file not plain UTF-8, with another header, empty, without data rows or with a short row is left to be read
    alone; the others are read together as before. A bad value in any of them has them all read alone."""
    _, text = SAMPLES["staff_in_post"]
    header, *rows = text.splitlines()
    columns = header.split(",")
    files = {
        "good": (text, True),
        "windows-1252": (text, False),
        "columns reordered": ("\n".join(",".join([f.split(",")[1], f.split(",")[0], *f.split(",")[2:]])
                                        for f in [header, *rows]) + "\n", True),
        "empty": ("", True),
        "no data rows": (header + "\n", True),
        "short row": ("\n".join([header, rows[0].rsplit(",", 1)[0]]) + "\n", True),
        "good too": ("\n".join([header, rows[1].replace("RJ1", "RJ2")]) + "\n", True),
    }
    assert columns[0] != columns[1]
    extracts = [Extract(write_sample(tmp_path, "staff_in_post", body, f"{i}.csv"), name, utf8=utf8)
                for i, (name, (body, utf8)) in enumerate(files.items())]
    fmt, read = read_together(extracts, KEY)
    assert [e.name for e, rows in zip(extracts, read, strict=True) if rows is not None] == ["good", "good too"]
    assert read[0].equals(read_extract(extracts[0].path, KEY)[1])
    assert read[-1].equals(read_extract(extracts[-1].path, KEY)[1])
    bad_value = write_sample(tmp_path, "staff_in_post", text.replace(",0.6,", ",6,"), "bad.csv")
    assert read_together([*extracts, Extract(bad_value, "bad value", utf8=True)], KEY) is None


def test_a_bad_value_in_a_later_batch_names_its_line_in_the_file(tmp_path):
    _, text = SAMPLES["pulse_responses"]
    header, first, second = text.splitlines()
    rows = [first.replace("900001", str(900100 + i)) for i in range(10)] + [second.replace(",6\n", ",6")]
    rows[8] = rows[8].replace(",7", ",8")  # ps7 on a 1-7 scale, line 10 of the file
    path = write_sample(tmp_path, "pulse_responses", "\n".join([header, *rows]) + "\n")
    _, batches = read_batches(path, KEY, batch_rows=4)
    with pytest.raises(RejectedFile) as err:
        list(batches)
    assert (err.value.row, err.value.column) == (10, "ps7")
    assert "above the allowed maximum 7" in err.value.message


def test_identifiers_are_pseudonymised_with_the_key_and_dates_of_birth_become_age_bands(tmp_path):
    fmt, df = read_extract(write_sample(tmp_path, "staff_in_post"), KEY)
    assert "date_of_birth" not in df.columns
    assert df["employee_id"].to_list() == [pseudonym("10001", KEY), pseudonym("10002", KEY), pseudonym("10001", KEY)]
    assert df["employee_id"][0] != pseudonym("10001", b"another key")
    # 1980-05-17 is 43 on 2024-04-30 and 44 on 2024-05-31; 1999-12-31 is 24 on 2024-04-30
    assert df["age_band"].to_list() == ["40-49", "20-29", "40-49"]
    text = (tmp_path / "esr_staff_in_post_RJ1.csv").read_text()
    _, again = read_extract(write_sample(tmp_path, "staff_in_post", text.replace("1980-05-17", "1974-05-31")), KEY)
    assert again["age_band"].to_list() == ["40-49", "20-29", "50-59"]


def test_a_record_level_file_without_a_key_is_not_read(tmp_path):
    with pytest.raises(ValueError, match="pseudonymisation key"):
        read_extract(write_sample(tmp_path, "leavers"))


def _workbook(path, sheets: dict[str, list[list]]) -> None:
    book = xlsxwriter.Workbook(path)
    date_cell = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date_cell)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()


def test_a_published_workbook_with_title_rows_and_date_cells_reads_like_its_csv(tmp_path):
    header = SAMPLES["sickness_org"][1].splitlines()[0].split(",")
    row = [dt.datetime(2024, 4, 30), "Y56", "London", "QKK", "South East London", "RJ1",
           "Guy's and St Thomas' NHS Foundation Trust", "Acute", 1000.5, 20000, 5.0]
    path = tmp_path / "sickness.xlsx"
    _workbook(path, {"Notes": [["NHS Sickness Absence Rates"], ["Published monthly"]],
                     "Data": [["NHS Sickness Absence Rates, April 2024"], [], header, row]})
    fmt, df = read_extract(path)
    assert fmt.name == "sickness_org"
    assert df.select("date", "org_code", "fte_days_lost", ROW).row(0) == (dt.date(2024, 4, 30), "RJ1", 1000.5, 4)


def test_a_workbook_without_a_data_sheet_is_rejected(tmp_path):
    path = tmp_path / "sickness.xlsx"
    _workbook(path, {"Notes": [["NHS Sickness Absence Rates"], ["Data to follow"]], "Empty": []})
    with pytest.raises(RejectedFile, match=r"no sheet holds a table in a known format \(sheets: Notes, Empty\)"):
        read_extract(path)


def test_a_bad_cell_in_a_workbook_names_the_sheet_row_and_column(tmp_path):
    header = SAMPLES["sickness_org"][1].splitlines()[0].split(",")
    row = [dt.datetime(2024, 4, 30), "Y56", "London", "QKK", "South East London", "RJ1", "Guy's", "Acute",
           -3, 20000, 0]
    path = tmp_path / "sickness.xlsx"
    _workbook(path, {"Data": [header, row]})
    with pytest.raises(RejectedFile) as err:
        read_extract(path)
    assert err.value.file == "sickness.xlsx [Data]"
    assert (err.value.row, err.value.column) == (2, "fte_days_lost")


@pytest.mark.parametrize("key", [b"k", b"x" * 100, "clé".encode()])
def test_bulk_pseudonyms_are_the_keyed_hmac_of_each_value(key):
    from pipelines.sources.privacy import pseudonyms
    values = pl.Series(["10001", "10001-2", "é", "", None])
    assert pseudonyms(values, key).to_list() == [pseudonym(v, key) for v in values.to_list()[:-1]] + [None]
