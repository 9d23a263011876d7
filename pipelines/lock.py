"""One writer per home: `run`, `rollback`, `rebuild` and `retract` each hold the home's lock while they change it.

The lock is an advisory `flock` on `<home>/home.lock`, so it is released by the kernel when its holder dies
(a killed run never leaves the home locked). The file says who holds it and since when, for the message a
second caller gets. A process that already holds the lock may take it again (the CLI takes it before it
starts Dagster, and the run's home resource takes it for runs the daemon starts).
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .settings import Home

LOCK_NAME = "home.lock"
_held: dict[Path, tuple[int, int]] = {}  # lock file -> (fd, depth) for the locks this process holds


class HomeLocked(RuntimeError):
    """Another process holds the home; the message says which operation and since when."""


def holder(home: Home) -> dict | None:
    """Who holds (or last held) the home: operation, pid, since (UTC); None if no one ever did."""
    try:
        return json.loads((home.root / LOCK_NAME).read_text() or "null")
    except (FileNotFoundError, ValueError):
        return None


@contextmanager
def home_lock(home: Home, operation: str, wait_seconds: float = 0.0):
    """Hold the home for `operation`; wait up to `wait_seconds` for another holder, then raise HomeLocked."""
    path = (home.root / LOCK_NAME).resolve()
    if path in _held:
        fd, depth = _held[path]
        _held[path] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _held[path]
            _held[path] = (fd, depth - 1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, home, wait_seconds)
    except BaseException:
        os.close(fd)
        raise
    since = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"operation": operation, "pid": os.getpid(), "since": since}).encode(), 0)
    _held[path] = (fd, 1)
    try:
        yield
    finally:
        del _held[path]
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, home: Home, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            raise HomeLocked(locked_message(home))
        time.sleep(0.5)


def locked_message(home: Home) -> str:
    who = holder(home) or {}
    return (f"another {who.get('operation', 'run')} (pid {who.get('pid', '?')}) holds the home {home.root} "
            f"since {who.get('since', '?')} UTC; try again when it has finished")
