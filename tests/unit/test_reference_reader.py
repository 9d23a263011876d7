"""The ODS organisation extract reader: headerless recognition, snapshot dates, blank geography, bad rows."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.landing import ensure_raw_tables, load_file
from pipelines.settings import Home
from pipelines.sources import RejectedFile, read_extract
from pipelines.sources.reference import ODS_ORGANISATIONS

from ..boundary_files import OdsRow, ods_bytes, write_ods

ROWS = [
    OdsRow("RGP", "QMM", opened="19940401", closed="20250630"),
    OdsRow("RM1", "QMM", opened="19940401"),
    OdsRow("QSYN1A", "QSYN000001", opened="20260401"),  # codes of any length
]


def test_a_headerless_ods_extract_is_recognised_and_typed(tmp_path):
    fmt, df = read_extract(write_ods(tmp_path, "ods_etr_20260401.csv", ROWS))
    assert fmt is ODS_ORGANISATIONS
    assert df.columns == ["_source_row", "org_code", "org_name", "region_code", "icb_code", "open_date",
                          "close_date", "snapshot_date", "snapshot_date_source"]
    assert df["_source_row"].to_list() == [1, 2, 3]
    assert df["icb_code"].to_list() == ["QMM", "QMM", "QSYN000001"]
    assert df["close_date"].to_list() == [date(2025, 6, 30), None, None]
    assert set(df["snapshot_date"]) == {date(2026, 4, 1)} and set(df["snapshot_date_source"]) == {"file_name"}


@pytest.mark.parametrize("name, expected, source", [
    ("etr_2025-04-01.csv", date(2025, 4, 1), "file_name"),
    ("ods_etr_20250401_v2.csv", date(2025, 4, 1), "file_name"),
    ("etr.csv", date(2026, 4, 1), "newest_open_date"),
    ("etr_copy2.csv", date(2026, 4, 1), "newest_open_date"),
])
def test_the_snapshot_date_comes_from_the_name_else_the_newest_open_date(tmp_path, name, expected, source):
    _, df = read_extract(write_ods(tmp_path, name, ROWS))
    assert df["snapshot_date"].unique().to_list() == [expected]
    assert df["snapshot_date_source"].unique().to_list() == [source]


def test_a_file_name_holding_an_impossible_date_is_rejected(tmp_path):
    with pytest.raises(RejectedFile) as err:
        read_extract(write_ods(tmp_path, "etr_20251340.csv", ROWS))
    assert "etr_20251340.csv" in str(err.value) and "'20251340'" in str(err.value)


def test_blank_region_and_icb_load_as_null_and_the_load_message_counts_them(tmp_path):
    home = Home(tmp_path / "home").ensure()
    rows = [*ROWS, OdsRow("RX1", "", region=""), OdsRow("RX2", "", region="Y56")]
    (home.landing / "etr_20260401.csv").write_bytes(ods_bytes(rows))
    with duckdb.connect(str(home.build_db)) as con:
        ensure_raw_tables(con)
        result = load_file(con, home, home.landing / "etr_20260401.csv")
        loaded = con.execute("select org_code, region_code, icb_code from raw.ods_organisations order by org_code").fetchall()
        logged = con.execute("select message from raw.load_log").fetchone()[0]
    assert result.outcome == "loaded" and result.rows_loaded == 5
    assert ("RX1", None, None) in loaded and ("RX2", "Y56", None) in loaded
    assert logged == result.message
    assert "1 with a blank region and 2 with a blank ICB" in logged
    assert "snapshot date 2026-04-01 (from the file name)" in logged


@pytest.mark.parametrize("row, column, line", [
    (OdsRow("RX1", "QMM", opened="2025-04-01"), "open_date", 4),
    (OdsRow("RX1", "QMM", opened="20250401", closed="20240101"), "close_date", 4),
    (OdsRow("R X1", "QMM"), "org_code", 4),
])
def test_a_bad_row_rejects_the_file_naming_row_and_column(tmp_path, row, column, line):
    with pytest.raises(RejectedFile) as err:
        read_extract(write_ods(tmp_path, "etr_20260401.csv", [*ROWS, row]))
    assert (err.value.file, err.value.row, err.value.column) == ("etr_20260401.csv", line, column)


def test_a_row_with_the_wrong_number_of_fields_is_rejected(tmp_path):
    path = tmp_path / "etr_20260401.csv"
    path.write_bytes(ods_bytes(ROWS) + b'"RX1","SHORT ROW","Y61","QMM"\r\n')
    with pytest.raises(RejectedFile) as err:
        read_extract(path)
    assert (err.value.file, err.value.row) == ("etr_20260401.csv", 4)
    assert "4 fields" in err.value.message


@pytest.mark.realdata
def test_the_real_etr_extract(realdata):
    fmt, df = read_extract(realdata / "ods_etr_2025" / "etr.csv")
    assert fmt is ODS_ORGANISATIONS and df.height == 210
    assert df["close_date"].is_not_null().sum() == 5
    # no date in the name: the newest open date (North London NHS FT, opened 1 November 2024)
    assert df["snapshot_date"].unique().to_list() == [date(2024, 11, 1)]
    assert df.filter(df["region_code"] == "W00")["icb_code"].unique().to_list() == ["Q99"]
