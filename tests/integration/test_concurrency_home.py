"""One writer per home: a second run or a rollback while a run holds the home exits cleanly and undoes nothing.

These run on a throwaway home (no real data): a helper process holds the home's lock the way a run does,
publishing a small table and pausing half-way through writing the new serving file.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pipelines.cli import LOCKED_EXIT, main
from pipelines.faults import FAULT_ENV
from pipelines.publish import served_publish_id
from pipelines.settings import REPO_ROOT

from .test_publish import publish_version

PUBLISHER = r"""
import sys
from pathlib import Path
from pipelines.lock import home_lock
from pipelines.settings import Home
from tests.integration.test_publish import publish_version

home = Home(Path(sys.argv[1]))
with home_lock(home, "run"):
    print(publish_version(home, int(sys.argv[2])).publish_id, flush=True)
"""


def paused_publisher(home, version: int) -> subprocess.Popen:
    """A process that holds the home and stops with the new serving file half written."""
    env = {**os.environ, FAULT_ENV: "serving_tmp:pause", "WELLBEING_HOME": str(home.root)}
    process = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(home.root), str(version)], env=env,
                               cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = home.root / "paused-at-serving_tmp"
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the publisher never reached serving_tmp"
        time.sleep(0.1)
    return process


def test_rollback_and_a_second_run_during_a_publish_exit_cleanly_and_undo_nothing(home, capsys):
    publish_version(home, 1)
    publish_version(home, 2)
    before = served_publish_id(home.serving_db)
    publisher = paused_publisher(home, 3)
    try:
        assert main(["rollback", "--home", str(home.root)]) == LOCKED_EXIT
        out = capsys.readouterr().out
        assert "another run (pid" in out and "holds the home" in out and " since " in out
        assert len(out.strip().splitlines()) == 1  # one clear line, no traceback
        assert served_publish_id(home.serving_db) == before  # nothing rolled back

        (home.landing / "waiting.csv").write_text("a,b\n1,2\n")
        assert main(["run", "--home", str(home.root)]) == LOCKED_EXIT
        assert "holds the home" in capsys.readouterr().out
        assert (home.landing / "waiting.csv").exists()  # the second run touched nothing
    finally:
        (home.root / "paused-at-serving_tmp").unlink(missing_ok=True)
        published, errors = publisher.communicate(timeout=120)
    assert publisher.returncode == 0, errors
    assert served_publish_id(home.serving_db) == published.strip() != before  # the publish was not undone

    # once the run has finished, the rollback goes through
    assert main(["rollback", "--home", str(home.root)]) == 0
    assert served_publish_id(home.serving_db) == before


def test_a_waiting_rollback_runs_after_the_publish(home):
    publish_version(home, 1)
    publish_version(home, 2)
    publisher = paused_publisher(home, 3)
    rollback = subprocess.Popen([str(Path(sys.executable).with_name("wellbeing")), "rollback", "--home",
                                 str(home.root), "--wait", "120"], stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    assert rollback.poll() is None  # waiting for the run
    (home.root / "paused-at-serving_tmp").unlink()
    published = publisher.communicate(timeout=120)[0].strip()
    assert rollback.wait(timeout=120) == 0
    # the rollback went back from what the run published, not from what was served before it
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        served = con.execute("select max(version) from marts.t").fetchone()[0]
    assert served == 2 and published > served_publish_id(home.serving_db)


def test_published_files_are_read_only(home):
    publish_version(home, 1)
    publish_version(home, 2)
    main(["rollback", "--home", str(home.root)])
    for path in [home.serving_db, *home.snapshots.iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o444, path


def test_a_corrupt_or_missing_serving_file_is_restored_from_the_newest_good_snapshot(home, capsys):
    publish_version(home, 1)
    newest = publish_version(home, 2).publish_id
    home.serving_db.chmod(0o644)
    home.serving_db.write_bytes(home.serving_db.read_bytes()[:5000])  # truncated
    assert main(["status", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert f"restored from snapshot serving-{newest}.duckdb" in out and f"published {newest}" in out

    home.serving_db.unlink()
    assert main(["rollback", "--home", str(home.root)]) == 0  # restores, then rolls back one
    assert "restored from snapshot" in capsys.readouterr().out
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        assert con.execute("select max(version) from marts.t").fetchone()[0] == 1


WRITER = r"""
import sys, duckdb
try:
    con = duckdb.connect(sys.argv[1])  # read-write, as an analyst's session might be
except duckdb.Error as err:
    print("refused:", err, flush=True)
    sys.exit(0)
print("open", flush=True)
sys.stdin.readline()
"""


def test_a_read_write_session_on_serving_does_not_stop_a_publish(home):
    publish_version(home, 1)
    session = subprocess.Popen([sys.executable, "-c", WRITER, str(home.serving_db)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        opened = session.stdout.readline()
        # as root the read-only mode does not stop the session opening the file; as anyone else it does
        assert opened.startswith(("open", "refused:")), opened
        published = publish_version(home, 2)  # compares with, and carries on, the served history
    finally:
        session.communicate("\n", timeout=30)
    assert served_publish_id(home.serving_db) == published.publish_id
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        assert con.execute("select count(*) from meta.publish_log").fetchone()[0] == 2
