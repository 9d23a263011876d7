"""Landing through the real pipeline (Dagster, dbt, gates, publish) on a copy of the published tiny warehouse:
rejections are attributed to the right table and end the run in a warning while the good files publish, a
record-level parse error shows no field value anywhere, and retract and rebuild run end to end."""
from __future__ import annotations

import csv
import io
import json

import dagster as dg
import duckdb

from pipelines.cli import main
from pipelines.keys import load_key
from pipelines.landing import load_file
from pipelines.outcomes import checks_of_run
from tests.fixtures.samples import SAMPLES, write_sample

from ..conftest import copy_home, published_marts

SECRET_ID = "98765432"  # an employee id in a broken record-level file


def marts(home) -> dict[str, list]:
    return published_marts(home.serving_db)


def raw_tables(home) -> dict[str, list]:
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        # not the mart gate's record of what its checks read (a check run again records it anew), nor the raw
        # gate's fingerprints for the build of its run (taken anew by every run's gate)
        tables = con.execute("select table_schema, table_name from information_schema.tables where table_schema "
                             "in ('raw', 'landing') and table_name not in ('load_log', 'mart_gate_passed', "
                             "'raw_gate_fingerprints') order by all").fetchall()
        return {f"{s}.{t}": con.execute(f"select * from {s}.{t} order by all").fetchall() for s, t in tables}


def run_logs(home, run_id: str) -> str:
    with dg.DagsterInstance.get() as instance:
        return "\n".join(f"{r.user_message} {r.dagster_event}" for r in instance.all_logs(run_id))


def test_bad_files_warn_on_their_own_tables_leak_no_identifier_and_the_good_files_publish(
        published_tiny, tmp_path, monkeypatch, capsys):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    before_raw, before_marts = raw_tables(home), marts(home)
    leavers = SAMPLES["leavers"][1].replace("10004,", f'"{SECRET_ID}"x,')
    write_sample(home.landing, "leavers", leavers, "esr_leavers_broken.csv")
    write_sample(home.landing, "sickness_org", SAMPLES["sickness_org"][1].replace("512.25", "NaN"), "sick_nan.csv")
    (home.landing / "minutes.csv").write_text("title,author\nMinutes,Board\n")
    write_sample(home.landing, "pulse_responses", file_name=".pulse_draft.csv")

    assert main(["--home", str(home.root), "run"]) == 0  # published: the warnings do not block
    terminal = capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:
        run_id = instance.get_runs(limit=1)[0].run_id
        checks = checks_of_run(instance, run_id)
    failed = {(c.asset, c.check, c.severity) for c in checks if not c.passed and c.check.startswith("files_")}
    assert failed == {("raw/leavers", "files_accepted", "WARN"), ("raw/sickness_org", "files_accepted", "WARN"),
                      ("landing/routed_files", "files_recognised", "WARN")}
    assert {c.asset for c in checks if c.check == "files_accepted" and c.passed} >= {
        "raw/pulse_responses", "raw/survey_org_results", "raw/absence_episodes"}
    assert "warning files_accepted on raw/leavers" in terminal
    assert "esr_leavers_broken.csv: row 3, column employee_id" in terminal
    assert raw_tables(home) == before_raw
    assert marts(home) == before_marts

    names = ("esr_leavers_broken.csv", "sick_nan.csv", "minutes.csv", ".pulse_draft.csv")
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        logged = con.execute(f"select file_name, outcome, message from raw.load_log where file_name in {names}"
                             ).fetchall()
    outcomes = {f: o for f, o, _ in logged}
    assert outcomes == {"esr_leavers_broken.csv": "rejected", "sick_nan.csv": "rejected", "minutes.csv": "rejected",
                        ".pulse_draft.csv": "skipped"}
    assert (home.landing / ".pulse_draft.csv").exists()
    reasons = " ".join(p.read_text() for p in home.quarantine.glob("*.reason.txt"))
    for where, text in {"terminal": terminal, "reason files": reasons, "load log": json.dumps(logged),
                        "Dagster logs": run_logs(home, run_id)}.items():
        assert SECRET_ID not in text, where
        assert "esr_leavers_broken.csv" in text, where


def test_retract_and_rebuild_run_end_to_end(published_tiny, tmp_path, monkeypatch, capsys):
    home = copy_home(published_tiny, tmp_path / "home", monkeypatch)
    before = marts(home)
    with duckdb.connect(str(home.build_db)) as con:
        name, archived = con.execute("""select file_name, archived_as from raw.load_log
            where format = 'sickness_org' and outcome = 'loaded' order by file_name limit 1""").fetchone()
        rows = list(csv.reader(io.StringIO((home.root / archived).read_text())))
        header = [c.lower() for c in rows[0]]
        for c in ("fte_days_lost", "fte_days_available"):  # a "correction" with the same rate, twice the days
            rows[1][header.index(c)] = str(float(rows[1][header.index(c)]) * 2)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        correction = load_file(con, home, write_sample(home.landing, "sickness_org", out.getvalue(), name),
                               load_key(home))
    assert (correction.outcome, correction.rows_superseded) == ("loaded", len(rows) - 1)

    assert main(["--home", str(home.root), "retract", name]) == 0
    printed = capsys.readouterr().out
    assert f"retracted load {correction.load_id} of {name}: removed {len(rows) - 1} rows from raw.sickness_org, " \
           f"restored {len(rows) - 1} rows it had superseded" in printed
    assert "published" in printed
    assert marts(home) == before

    home.build_db.write_bytes(b"not a database")
    assert main(["--home", str(home.root), "rebuild"]) == 0
    printed = capsys.readouterr().out
    assert "rebuilt" in printed and "published" in printed
    assert marts(home) == before
