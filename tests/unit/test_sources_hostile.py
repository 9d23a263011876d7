"""Hostile values at read time: NaN and infinity in every numeric column, locale-ambiguous separators, NUL bytes
anywhere, stray quotes named by row and column, and no field of a record-level file ever quoted in a message."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources import FORMATS, RejectedFile, read_extract
from pipelines.sources.privacy import pseudonym, pseudonyms
from tests.fixtures.samples import SAMPLES, write_sample

KEY = b"unit-test-key"
# one format per family that has numeric columns (reference ODS extracts have none)
ONE_PER_FAMILY = ("sickness_org", "staff_in_post", "turnover_benchmarking", "survey_org_results", "pulse_responses",
                  "social_care_la", "survey_respondents")
NON_FINITE = ("NaN", "nan", "inf", "-inf", "+Infinity")


def with_cell(name: str, column: str, value: str, row: int = 2) -> str:
    """The sample of a format with one cell (file line `row`, header name `column`) replaced."""
    lines = list(csv.reader(io.StringIO(SAMPLES[name][1])))
    lines[row - 1][[c.lower() for c in lines[0]].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    return out.getvalue()


def numeric_columns(name: str) -> list[str]:
    fmt = next(f for f in FORMATS if f.name == name)
    header = [c.lower() for c in SAMPLES[name][1].splitlines()[0].split(",")]
    declared = [c.source for c in fmt.columns if c.dtype.is_numeric() and c.source in header]
    variable = [c for c in header if fmt.variable is not None and fmt.variable.dtype.is_numeric()
                and c not in fmt.known]
    return declared + variable


CASES = [(name, column, value) for name in ONE_PER_FAMILY for column in numeric_columns(name)
         for value in NON_FINITE]


def test_every_family_with_numbers_is_covered():
    families = {f.family for f in FORMATS if any(c.dtype.is_numeric() for c in f.columns)}
    covered = {f.family for f in FORMATS if f.name in ONE_PER_FAMILY}
    assert families <= covered
    assert all(numeric_columns(name) for name in ONE_PER_FAMILY)


@pytest.mark.parametrize("name, column, value", CASES, ids=[f"{n}-{c}-{v}" for n, c, v in CASES])
def test_nan_and_infinity_are_rejected_in_every_numeric_column(tmp_path, name, column, value):
    fmt = next(f for f in FORMATS if f.name == name)
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, name, with_cell(name, column, value)), KEY)
    assert (err.value.row, err.value.column) == (2, column)
    assert "is not a finite number" in err.value.message
    if fmt.record_level:  # row and column only
        assert value not in str(err.value)


@pytest.mark.parametrize("value", ["1,0", "0,5", "1.000,5", "12,34"])
def test_a_decimal_comma_is_not_a_number(tmp_path, value):
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, "sickness_org", with_cell("sickness_org", "fte_days_lost", value)))
    assert (err.value.row, err.value.column) == (2, "fte_days_lost")
    assert f"'{value}' is not a number" in err.value.message


def test_thousands_separators_are_read_only_where_published_counts_use_them_and_only_when_well_grouped(tmp_path):
    _, df = read_extract(write_sample(tmp_path, "turnover_benchmarking",
                                      with_cell("turnover_benchmarking", "hc", "22,555")))
    assert df["hc"][0] == 22555
    for bad in ("22,55", "2,25,55", "1,0"):
        with pytest.raises(RejectedFile) as err:
            read_extract(write_sample(tmp_path, "turnover_benchmarking", with_cell("turnover_benchmarking", "hc", bad)))
        assert (err.value.row, err.value.column) == (2, "hc")


def test_a_nul_byte_far_into_the_file_is_rejected_with_its_line(tmp_path):
    _, text = SAMPLES["sickness_org"]
    header, first, *rest = text.splitlines()
    rows = [first.replace("RJ1", f"R{i:04d}") for i in range(2000)]  # well past 64 KiB
    rows[1500] = rows[1500].replace("Acute", "Acu\x00te")
    path = write_sample(tmp_path, "sickness_org", "\n".join([header, *rows]) + "\n")
    assert path.stat().st_size > 1 << 17
    with pytest.raises(RejectedFile, match="NUL bytes") as err:
        read_extract(path)
    assert err.value.row == 1502


@pytest.mark.parametrize("name, column, old, new, message", [
    ("sickness_org", "org_name", "Lewisham and Greenwich NHS Trust", '"Lewisham and Greenwich NHS Trust',
     "never closed"),
    ("leavers", "employee_id", "10004,", '"10004"x,', "text follows a closing quote"),
    ("leavers", "employee_id", "10004,", '10"004,', "a quote inside an unquoted field"),
])
def test_a_stray_quote_names_its_row_and_column_and_quotes_no_value(tmp_path, name, column, old, new, message):
    text = SAMPLES[name][1]
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if old in line)
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, name, text.replace(old, new, 1)), KEY)
    assert (err.value.row, err.value.column) == (row, column)
    assert message in err.value.message
    assert "expected 0 rows" not in err.value.message
    if name == "leavers":
        assert "10004" not in str(err.value)


def test_a_record_level_file_never_quotes_a_field_in_a_rejection(tmp_path):
    bad = SAMPLES["staff_in_post"][1].replace("N0A,1.0,2024-04-30", "N0A,1.0x,2024-04-30", 1)
    with pytest.raises(RejectedFile) as err:
        read_extract(write_sample(tmp_path, "staff_in_post", bad), KEY)
    assert (err.value.row, err.value.column) == (2, "fte")
    assert "1.0x" not in str(err.value) and "the value is not a number" in str(err.value)


@pytest.mark.parametrize("key", [b"k", b"x" * 100, "clé".encode()])
def test_bulk_pseudonyms_are_the_standard_library_hmac_of_each_value(key):
    values = pl.Series(["10001", "10001-2", "é", "", None])
    expected = [int(hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:16], 16) for v in values.to_list()[:-1]]
    assert pseudonyms(values, key).to_list() == [*expected, None]
    assert [pseudonym(v, key) for v in values.to_list()[:-1]] == expected


def test_many_pseudonyms_shared_among_worker_processes_are_the_same_hmacs(monkeypatch):
    from pipelines.sources import privacy

    key = b"k" * 32
    values = pl.Series([f"{n:07d}" for n in range(privacy.SHARED_FROM + 5)] + [None, "é"])
    monkeypatch.setattr(privacy, "WORKERS", 2)
    shared = pseudonyms(values, key)
    assert privacy._workers.cache_info().currsize == 1  # they were shared
    monkeypatch.setattr(privacy, "WORKERS", 1)  # one process, as on a one-core machine
    assert shared.to_list() == pseudonyms(values, key).to_list()
    assert shared.to_list()[-2:] == [None, pseudonym("é", key)] and shared.null_count() == 1


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_pseudonym_workers_leave_with_a_command_that_was_killed(tmp_path):
    script = tmp_path / "hash.py"
    script.write_text(textwrap.dedent("""
        import time
        import polars as pl
        from pipelines.sources import privacy
        if __name__ == "__main__":
            privacy.WORKERS = 2
            privacy.pseudonyms(pl.Series([str(n) for n in range(privacy.SHARED_FROM)]), b"k" * 32)
            print(*privacy._workers()._processes, flush=True)
            time.sleep(120)
        """))
    command = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in command.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    command.kill()  # no exit hooks run
    command.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def test_pseudonyms_are_the_first_64_bits_of_the_earlier_hand_built_hmac():
    # the leading hex digits of the DuckDB ipad/opad implementation this replaced, for this key
    key = b"landing-golden-key-0123456789abcdef0123456789"
    assert pseudonyms(pl.Series(["10001", "10002-2", "500001", "é"]), key).to_list() == [
        int(h, 16) for h in ("ba6c81f05eb4270b", "252d13a5cd3f599a", "1ada51ea35bb4201", "d2439edb365735d4")]
    assert pseudonym("10001", b"x" * 100) == 0x156a01b51209cd3a  # a key longer than SHA-256's block
