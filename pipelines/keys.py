"""The pseudonymisation key: WELLBEING_PSEUDONYM_KEY, else the key file in the home folder.

Rules, checked by `preflight` before any step runs (and again by the loader):
- at least 32 bytes of randomness (e.g. 64 hex digits: `secrets.token_hex(32)`);
- a key file readable by its owner only (mode 0600 or stricter);
- the key that pseudonymised the warehouse: its fingerprint (an HMAC of a fixed label, which does not reveal the
  key) is stored in build.duckdb on first use; a different key is refused unless rotated explicitly.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import stat
import string
from datetime import UTC, datetime

import duckdb

from .settings import Home

KEY_ENV = "WELLBEING_PSEUDONYM_KEY"
MIN_ENTROPY_BITS = 256
FINGERPRINT_TABLE = "landing.pseudonym_key"  # bookkeeping, not a dbt source
_ALPHABETS = (set(string.hexdigits), set(string.ascii_letters + string.digits + "+/=-_"),
              set(string.printable) - set(string.whitespace) | {" "})
_FINGERPRINT_LABEL = b"wellbeing pseudonym key fingerprint"


class KeyProblem(Exception):
    """The key is missing, weak, exposed or not the warehouse's; the message is one line saying what to do."""


def load_key(home: Home) -> bytes | None:
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    if home.key_file.exists():
        return home.key_file.read_bytes().strip()
    return None


def create_key(home: Home) -> bytes:
    """A fresh random key in the home folder (for the demo); never overwrites an existing one."""
    if home.key_file.exists():
        return home.key_file.read_bytes().strip()
    home.key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(home.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return home.key_file.read_bytes().strip()


def entropy_bits(key: bytes) -> float:
    """An upper estimate of the key's randomness: length x bits per character of the smallest alphabet holding
    it (hex 4, base64 6, printable text 6.6, any byte 8); a key of few distinct characters counts as nothing."""
    if len(set(key)) < 8:
        return 0.0
    chars = set(key.decode("latin-1"))
    size = next((len(a) for a in _ALPHABETS if chars <= a), 256)
    return len(key) * math.log2(size)


def fingerprint(key: bytes) -> str:
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def check_key(key: bytes, where: str) -> None:
    if not key:
        raise KeyProblem(f"the pseudonymisation key in {where} is empty; write 64 random hex digits to it "
                         f"(python -c 'import secrets; print(secrets.token_hex(32))')")
    if entropy_bits(key) < MIN_ENTROPY_BITS:
        raise KeyProblem(f"the pseudonymisation key in {where} is too weak (under 32 bytes of randomness); "
                         f"use 64 random hex digits (python -c 'import secrets; print(secrets.token_hex(32))')")


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    con.execute("create schema if not exists landing")
    con.execute(f"create table if not exists {FINGERPRINT_TABLE} (fingerprint VARCHAR, since TIMESTAMP)")
    rows = con.execute(f"select fingerprint from {FINGERPRINT_TABLE} order by since desc limit 1").fetchall()
    return rows[0][0] if rows else None


def check_fingerprint(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    _refuse_another_key(stored_fingerprint(con), fingerprint(key))


def record_fingerprint(con: duckdb.DuckDBPyConnection, key: bytes, rotate: bool = False) -> None:
    """Remember the warehouse's key on first use; refuse another one unless `rotate` (then it becomes the key)."""
    stored, mine = stored_fingerprint(con), fingerprint(key)
    if not rotate:
        _refuse_another_key(stored, mine)
    if stored != mine:
        con.execute(f"insert into {FINGERPRINT_TABLE} values (?, ?)",
                    [mine, datetime.now(UTC).replace(tzinfo=None)]).fetchone()


def _refuse_another_key(stored: str | None, mine: str) -> None:
    if stored is not None and stored != mine:
        raise KeyProblem(f"the pseudonymisation key (fingerprint {mine}) is not the one this warehouse was "
                         f"pseudonymised with (fingerprint {stored}); restore that key, or rotate deliberately "
                         f"with --rotate-key (earlier pseudonyms will not join later ones unless you rebuild)")


def key_for(home: Home, needs_key: bool) -> bytes | None:
    """The key, checked for presence, strength and file mode (not against the warehouse); KeyProblem if unfit."""
    where = f"${KEY_ENV}" if os.environ.get(KEY_ENV) else str(home.key_file)
    key = load_key(home)
    if key is None:
        if needs_key:
            raise KeyProblem(f"record-level extracts are waiting to be loaded but there is no pseudonymisation key: "
                             f"set ${KEY_ENV} or write 64 random hex digits to {home.key_file} (mode 0600)")
        return None
    if not os.environ.get(KEY_ENV):
        mode = stat.S_IMODE(home.key_file.stat().st_mode)
        if mode & 0o077:
            raise KeyProblem(f"the pseudonymisation key file {home.key_file} is readable by others "
                             f"(mode {mode:04o}); run: chmod 600 {home.key_file}")
    check_key(key, where)
    return key


def preflight(home: Home, needs_key: bool, rotate: bool = False) -> bytes | None:
    """The key to load with, checked before any step runs; raises KeyProblem with a one-line message.

    `needs_key`: record-level files are waiting to be loaded. Without one, a key that is present is still
    checked (it will be used by the next record-level file), an absent one is fine. `rotate`: accept a key
    other than the warehouse's and make it the warehouse's from now on.
    """
    key = key_for(home, needs_key)
    if key is not None and home.build_db.exists():
        with duckdb.connect(str(home.build_db)) as con:
            if rotate:
                record_fingerprint(con, key, rotate=True)
            else:
                check_fingerprint(con, key)
    return key
