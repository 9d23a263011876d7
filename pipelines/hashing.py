"""Keyed pseudonyms as the first 64 bits of the standard library's HMAC-SHA256, and the start of a process that
computes them for the loader (pipelines/sources/privacy.py). Standard library only: a worker process imports this
module alone."""
from __future__ import annotations

import hashlib
import hmac
import os
import signal
import threading
import time

# 64 bits: two of 3 million identifiers share a pseudonym with a chance of about 1 in 4 million (n^2 / 2^65); as a
# number the warehouse stores, compares and hashes it several times faster than as text
PSEUDONYM_BYTES = 8


def hmac_64(key: bytes, clear: list[str | None]) -> list[int | None]:
    """The first 64 bits of HMAC-SHA256(key, value) of each value, as an unsigned number (None stays None)."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # the keyed state built once, copied per value

    def one(value: str) -> int:
        h = keyed.copy()
        h.update(value.encode())
        return int.from_bytes(h.digest()[:PSEUDONYM_BYTES], "big")

    return [None if v is None else one(v) for v in clear]


def worker_started(command: int) -> None:
    """In each worker process: Ctrl-C is for the command to handle (not one traceback per worker), and the worker
    exits when the command (process id `command`) is gone, even killed: workers outlive it otherwise, waiting for
    work, and keep their server process alive with them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_with_the_command() -> None:
        while True:
            try:
                os.kill(command, 0)
            except ProcessLookupError:
                os._exit(1)
            time.sleep(1)

    threading.Thread(target=exit_with_the_command, name="exit with the command", daemon=True).start()
