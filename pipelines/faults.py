"""Crash-test hook: WELLBEING_FAULT_POINT=<point> makes the pipeline SIGKILL itself when it reaches <point>.

tests/integration/test_faults_*.py use it to prove that a crash anywhere in a run leaves the published
snapshot whole and that the next run catches up. Points, in run order:

    ingest          after a family's landing files are loaded, the build database open
    dbt_build       after dbt build's first event (dbt is killed with the pipeline)
    quality_gate    after the first raw-table suite has run (Great Expectations mid-gate)
    serving_tmp     with the new serving file half written
    before_replace  with the new serving file complete, just before it replaces the old one

`<point>:enospc` raises OSError(ENOSPC) there instead, as a full disk would; `<point>:pause` writes
`<home>/paused-at-<point>` and waits until a test removes it (to start a second operation mid-run).
Unset (always, outside those tests) it does nothing.
"""
import errno
import os
import signal
import time
from pathlib import Path

FAULT_ENV = "WELLBEING_FAULT_POINT"


def fault_point(point: str) -> None:
    at, _, mode = os.environ.get(FAULT_ENV, "").partition(":")
    if at != point:
        return
    if mode == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"(simulated at {point})")
    if mode == "pause":
        marker = Path(os.environ["WELLBEING_HOME"]) / f"paused-at-{point}"
        marker.touch()
        while marker.exists():
            time.sleep(0.2)
        return
    # a process leading its own group (as the test starts it) takes its children (dbt) down too, as a crash would
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
