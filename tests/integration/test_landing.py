"""Loading in batches inside one transaction: checks that span batches, rollback of a late failure, family
ingest over a mixed landing folder, supersession of record-level resends by month and organisation."""
from __future__ import annotations

import time

import duckdb
import pytest

from pipelines import landing
from pipelines.landing import (
    READ_AHEAD_BYTES,
    RawSchemaOutdated,
    ensure_raw_tables,
    ingest,
    load_file,
    route,
    staged_families,
)
from pipelines.settings import Home
from pipelines.sources.privacy import pseudonym
from tests.fixtures.samples import SAMPLES, write_sample

KEY = b"landing-test-key"
SIP_HEADER = SAMPLES["staff_in_post"][1].splitlines()[0]


def sip_rows(n: int, month_end: str = "2024-04-30", org: str = "RJ1", first_id: int = 10000) -> list[str]:
    return [f"{first_id + i},{first_id + i},{org},Nurses & health visitors,N0A,1.0,{month_end},2015-09-01,1980-05-17"
            for i in range(n)]


def count(con, table: str) -> int:
    return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_batched_and_whole_loads_store_the_same_rows(tmp_path, monkeypatch):
    tables = []
    for batch_rows, large in ((3, False), (1_000, False), (3, True), (1_000, True)):
        # a file larger than READ_AHEAD_BYTES waits whole in the held table; a smaller one stays in memory
        monkeypatch.setattr("pipelines.landing.READ_AHEAD_BYTES", 0 if large else READ_AHEAD_BYTES)
        home = Home(tmp_path / f"home{batch_rows}-{large}").ensure()
        with duckdb.connect(str(home.build_db)) as con:
            ensure_raw_tables(con)
            path = write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *sip_rows(10)]) + "\n")
            assert load_file(con, home, path, KEY, batch_rows=batch_rows).rows_loaded == 10
            tables.append(con.execute("select * exclude (_loaded_at, _load_id) from raw.staff_in_post order by all").fetchall())
    assert all(table == tables[0] for table in tables[1:])


@pytest.mark.parametrize("large", [False, True], ids=["rows kept in memory", "rows held whole"])


def test_a_duplicate_key_in_another_batch_is_caught_and_nothing_is_kept(warehouse, monkeypatch, large):
    if large:  # a file larger than READ_AHEAD_BYTES waits whole in the held table
        monkeypatch.setattr("pipelines.landing.READ_AHEAD_BYTES", 0)
    home, con = warehouse
    rows = sip_rows(7)
    rows.append(rows[1])  # line 9 repeats line 3, two batches later
    path = write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *rows]) + "\n")
    result = load_file(con, home, path, KEY, batch_rows=3)
    assert result.outcome == "rejected"
    assert "row 9, column month_end: duplicate key: an earlier row has the same employee_id, assignment_id, " \
           "month_end" in result.message
    assert count(con, "staff_in_post") == 0


def test_a_bad_row_in_the_last_batch_rolls_back_the_batches_before_it(warehouse):
    home, con = warehouse
    rows = sip_rows(9)
    rows[8] = rows[8].replace(",1.0,", ",-1.0,")
    path = write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *rows]) + "\n")
    result = load_file(con, home, path, KEY, batch_rows=2)
    assert result.outcome == "rejected"
    assert "row 10, column fte" in result.message
    assert count(con, "staff_in_post") == 0
    assert con.execute("select outcome from raw.load_log").fetchall() == [("rejected",)]


def test_identifiers_never_reach_the_warehouse(warehouse):
    home, con = warehouse
    load_file(con, home, write_sample(home.landing, "staff_in_post"), KEY)
    stored = con.execute("select distinct employee_id, assignment_id from raw.staff_in_post order by all").fetchall()
    assert stored == sorted([(pseudonym("10001", KEY), pseudonym("10001", KEY)),
                             (pseudonym("10002", KEY), pseudonym("10002-2", KEY))])
    columns = [c for (c,) in con.execute("select column_name from information_schema.columns "
                                         "where table_name = 'staff_in_post'").fetchall()]
    assert "date_of_birth" not in columns and "age_band" in columns


@pytest.mark.parametrize("outdated", [
    "alter table raw.staff_in_post alter employee_id type varchar",  # pseudonyms stored as text before
    "alter table raw.survey_responses add column question_code varchar",  # answers stored one per row before
    "alter table landing.superseded_leavers alter employee_id type varchar",
])
def test_a_warehouse_of_an_earlier_release_is_not_loaded_into_until_it_is_rebuilt(warehouse, outdated):
    home, con = warehouse
    con.execute(outdated)
    path = write_sample(home.landing, "staff_in_post")
    with pytest.raises(RawSchemaOutdated, match=r"(raw|landing)\.\w+ was made by an earlier release: its column "
                                                r"(employee_id|question_code) .*`wellbeing rebuild`"):
        load_file(con, home, path, KEY)
    assert path.exists() and count(con, "staff_in_post") == 0
    assert con.execute("select count(*) from raw.load_log").fetchone()[0] == 0


def test_a_column_added_to_a_format_since_the_table_was_made_is_added(warehouse):
    home, con = warehouse
    con.execute("alter table raw.staff_in_post drop column age_band")
    ensure_raw_tables(con)
    assert load_file(con, home, write_sample(home.landing, "staff_in_post"), KEY).outcome == "loaded"
    assert con.execute("select count(age_band) from raw.staff_in_post").fetchone()[0] == count(con, "staff_in_post")


def test_a_record_level_file_without_a_key_stays_staged_and_changes_nothing(warehouse):
    home, con = warehouse
    path = write_sample(home.landing, "leavers")
    with pytest.raises(ValueError, match="pseudonymisation key"):
        load_file(con, home, path, None)
    assert staged_families(home) == {"turnover": 1}
    assert count(con, "leavers") == 0 and count(con, "load_log") == 0


def test_a_record_level_resend_supersedes_its_months_for_its_organisation_only(warehouse):
    home, con = warehouse
    name = "esr_staff_in_post_RJ1.csv"
    april_may = [*sip_rows(3), *sip_rows(3, "2024-05-31")]
    load_file(con, home, write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *april_may]) + "\n", name), KEY)
    other_org = sip_rows(2, org="RJ2", first_id=20000)
    load_file(con, home, write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *other_org]) + "\n",
                                      "esr_staff_in_post_RJ2.csv"), KEY)
    may_corrected = [r.replace(",1.0,", ",0.8,") for r in sip_rows(2, "2024-05-31")]
    result = load_file(con, home, write_sample(home.landing, "staff_in_post",
                                               "\n".join([SIP_HEADER, *may_corrected]) + "\n", name), KEY)
    assert (result.outcome, result.rows_superseded, result.rows_loaded) == ("loaded", 3, 2)
    assert con.execute("select org_code, month_end::varchar, fte, count(*) from raw.staff_in_post "
                       "group by all order by all").fetchall() == [
        ("RJ1", "2024-04-30", 1.0, 3), ("RJ1", "2024-05-31", 0.8, 2), ("RJ2", "2024-04-30", 1.0, 2)]


def test_the_router_classifies_each_file_once_and_each_family_loads_only_its_own(warehouse):
    home, con = warehouse
    for name in ("sickness_org", "sickness_reason", "leavers"):
        write_sample(home.landing, name)
    (home.landing / "minutes.csv").write_text("title,author\nMinutes,Board\n")
    routed = route(con, home, now=time.time() + 60)
    assert [(r.file, r.outcome, r.format) for r in routed] == [("minutes.csv", "rejected", None)]
    assert (home.root / routed[0].stored_as).exists()
    assert (home.quarantine / f"{routed[0].load_id}.reason.txt").read_text().startswith("minutes.csv: row 1")
    assert list(home.landing.iterdir()) == []
    assert staged_families(home) == {"sickness": 2, "turnover": 1}
    results = ingest(con, home, "sickness", KEY)
    assert sorted((r.file, r.outcome, r.table) for r in results) == [
        ("sickness_org_2024-04.csv", "loaded", "sickness_org"), ("sickness_reason_2024-04.csv", "loaded", "sickness_reason")]
    assert staged_families(home) == {"turnover": 1}


def test_files_read_ahead_of_their_load_keep_their_order_and_their_own_outcomes(warehouse):
    home, con = warehouse
    months = ("2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31")
    for i, month in enumerate(months):
        rows = sip_rows(3, month, org=f"RJ{i}")
        if i == 1:
            rows[2] = rows[2].replace(",1.0,", ",-1.0,")  # line 4 of the second file
        write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *rows]) + "\n", f"esr_staff_in_post_RJ{i}.csv")
        assert not route(con, home, now=time.time() + 60)  # one at a time: staged in this order
    results = ingest(con, home, "workforce", KEY)
    assert [(r.file, r.outcome) for r in results] == [
        ("esr_staff_in_post_RJ0.csv", "loaded"), ("esr_staff_in_post_RJ1.csv", "rejected"),
        ("esr_staff_in_post_RJ2.csv", "loaded"), ("esr_staff_in_post_RJ3.csv", "loaded")]
    assert "esr_staff_in_post_RJ1.csv: row 4, column fte" in results[1].message
    assert con.execute("select org_code, count(*) from raw.staff_in_post group by all order by all").fetchall() == [
        ("RJ0", 3), ("RJ2", 3), ("RJ3", 3)]
    assert [f for (f,) in con.execute("select file_name from raw.load_log order by logged_at").fetchall()] == \
        [r.file for r in results]


def sip_text(rows: list[str], header: str = SIP_HEADER, newline: str = "\n", bom: str = "") -> str:
    return bom + newline.join([header, *rows]) + newline


def test_files_loaded_together_end_as_each_would_alone(tmp_path, monkeypatch):
    """New files of one format are read together and load in one transaction; a rejected file among them (a repeated
    key, a key another file of the group holds, a bad value, a short row, no data rows), a duplicate, a resend, a
    blank line, another column order and a byte-order mark end exactly as when every file loads alone."""
    commits, together = [], []
    commit, read_together = landing._commit, landing.read_together

    def counted(con, home, entries, *args, **kwargs):
        results = commit(con, home, entries, *args, **kwargs)
        commits[-1].append(len(entries))
        return results

    def read_with(extracts, key):
        read = read_together(extracts, key)
        together[-1].append(None if read is None else [rows is not None for rows in read[1]])
        return read

    monkeypatch.setattr("pipelines.landing._commit", counted)
    monkeypatch.setattr("pipelines.landing.read_together", read_with)
    reordered = SIP_HEADER.split(",")
    reordered[0], reordered[1] = reordered[1], reordered[0]
    queue = [
        ("esr_staff_in_post_RJ0.csv", sip_text(sip_rows(3, org="RJ0"))),
        ("esr_staff_in_post_RJ1.csv", sip_text([*sip_rows(3, org="RJ1"), sip_rows(3, org="RJ1")[0]])),  # line 5 = 2
        ("esr_staff_in_post_RJ2.csv", sip_text(sip_rows(3, org="RJ2", first_id=20000))),
        ("esr_staff_in_post_RJ2_again.csv", sip_text(sip_rows(2, org="RJ2", first_id=20001))),  # keys RJ2 holds
        ("esr_staff_in_post_RJ3.csv", sip_text([r.replace(",1.0,", ",-1.0,") for r in sip_rows(2, org="RJ3")])),
        ("esr_staff_in_post_RJ4.csv", sip_text(sip_rows(3, org="RJ4"))),  # RJ0's keys, another organisation: loads
        ("esr_staff_in_post_RJ0_copy.csv", sip_text(sip_rows(3, org="RJ0"))),  # the bytes of the first file
        ("esr_staff_in_post_RJ0.csv", sip_text(sip_rows(2, org="RJ0"))),  # a correction: supersedes RJ0's month
        ("esr_staff_in_post_RJ5.csv", sip_text(sip_rows(3, org="RJ5", first_id=50000))),
        ("esr_staff_in_post_RJ7.csv", sip_text([])),  # no data rows
        ("esr_staff_in_post_RJ8.csv", sip_text([*sip_rows(2, org="RJ8", first_id=80000), ""])),  # a blank line
        ("esr_staff_in_post_RJ9.csv", sip_text([sip_rows(1, org="RJ9", first_id=90000)[0].rsplit(",", 1)[0]])),
        ("esr_staff_in_post_RJ10.csv", sip_text(sip_rows(2, org="RJ10", first_id=10_0000), newline="\r\n",
                                                bom="\ufeff")),
        ("esr_staff_in_post_RJ6.csv", sip_text(sip_rows(3, org="RJ6", first_id=60000))),
        ("esr_staff_in_post_RJ6_copy.csv", sip_text(sip_rows(3, org="RJ6", first_id=60000))),  # a duplicate
        ("esr_staff_in_post_RJ11.csv", sip_text([",".join([r.split(",")[1], r.split(",")[0], *r.split(",")[2:]])
                                                 for r in sip_rows(2, org="RJ11", first_id=11_0000)],
                                                header=",".join(reordered))),
        ("esr_staff_in_post_RJ12.csv", sip_text(sip_rows(2, org="RJ12", first_id=12_0000))),
    ]
    ends = []
    for group_bytes in (landing.DEFAULT_GROUP_BYTES, 0):  # 0: every file alone
        monkeypatch.setenv(landing.GROUP_BYTES_ENV, str(group_bytes))
        commits.append([])
        together.append([])
        home = Home(tmp_path / f"home{group_bytes}").ensure()
        with duckdb.connect(str(home.build_db)) as con:
            ensure_raw_tables(con)
            for name, text in queue:
                write_sample(home.landing, "staff_in_post", text, name)
                assert not route(con, home, now=time.time() + 60)  # one at a time: staged in this order
            results = ingest(con, home, "workforce", KEY)
            ends.append(([(r.file, r.outcome, r.rows_loaded, r.rows_superseded, r.message) for r in results],
                         con.execute("select file_name, outcome, rows_loaded, message from raw.load_log "
                                     "order by logged_at").fetchall(),
                         con.execute("select * exclude (_loaded_at, _load_id) from raw.staff_in_post "
                                     "order by all").fetchall()))
    assert ends[0] == ends[1]
    assert [(file, outcome, superseded) for file, outcome, _, superseded, _ in ends[0][0]] == [
        ("esr_staff_in_post_RJ0.csv", "loaded", 0), ("esr_staff_in_post_RJ1.csv", "rejected", 0),
        ("esr_staff_in_post_RJ2.csv", "loaded", 0), ("esr_staff_in_post_RJ2_again.csv", "rejected", 0),
        ("esr_staff_in_post_RJ3.csv", "rejected", 0), ("esr_staff_in_post_RJ4.csv", "loaded", 0),
        ("esr_staff_in_post_RJ0_copy.csv", "duplicate", 0), ("esr_staff_in_post_RJ0.csv", "loaded", 3),
        ("esr_staff_in_post_RJ5.csv", "loaded", 0), ("esr_staff_in_post_RJ7.csv", "rejected", 0),
        ("esr_staff_in_post_RJ8.csv", "loaded", 0), ("esr_staff_in_post_RJ9.csv", "rejected", 0),
        ("esr_staff_in_post_RJ10.csv", "loaded", 0), ("esr_staff_in_post_RJ6.csv", "loaded", 0),
        ("esr_staff_in_post_RJ6_copy.csv", "duplicate", 0), ("esr_staff_in_post_RJ11.csv", "loaded", 0),
        ("esr_staff_in_post_RJ12.csv", "loaded", 0)]
    assert "esr_staff_in_post_RJ1.csv: row 5" in ends[0][0][1][4]
    assert "esr_staff_in_post_RJ3.csv: row 2, column fte" in ends[0][0][4][4]
    assert "no data rows" in ends[0][0][9][4] and "esr_staff_in_post_RJ9.csv: row 2" in ends[0][0][11][4]
    assert max(commits[0]) > 1 and set(commits[1]) == {1}  # some files did load together; alone, none did
    # read together: a group with a bad value is read file by file; in a group of good files, one with no data rows,
    # a short row or another header than the first is read alone (one with a blank line or a BOM is not)
    assert None in together[0] and [True, False, True, False, True, True] in together[0] and [True, False] in \
        together[0] and together[1] == []


def test_an_error_that_stops_a_group_ends_as_if_each_file_had_loaded_alone(warehouse, monkeypatch):
    """Not a rejection (the disk, the machine): the files before the failing one load, it and those after wait."""
    home, con = warehouse
    for i in range(4):
        write_sample(home.landing, "staff_in_post", "\n".join([SIP_HEADER, *sip_rows(2, org=f"RJ{i}",
                                                                                    first_id=10000 * (i + 1))]) + "\n",
                     f"esr_staff_in_post_RJ{i}.csv")
        assert not route(con, home, now=time.time() + 60)

    def failing(read):  # the file fails whether it is read alone or with others
        def reading(source, *args):
            if "esr_staff_in_post_RJ2.csv" in [e.name for e in (source if isinstance(source, list) else [source])]:
                raise OSError("the disk went away")
            return read(source, *args)
        return reading

    monkeypatch.setattr("pipelines.landing.read_batches", failing(landing.read_batches))
    monkeypatch.setattr("pipelines.landing.read_together", failing(landing.read_together))
    with pytest.raises(OSError, match="disk went away"):
        ingest(con, home, "workforce", KEY)
    assert con.execute("select file_name, outcome from raw.load_log order by logged_at").fetchall() == [
        ("esr_staff_in_post_RJ0.csv", "loaded"), ("esr_staff_in_post_RJ1.csv", "loaded")]
    assert staged_families(home) == {"workforce": 2}
