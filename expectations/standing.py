"""A mart check's verdict stands while nothing it read has changed.

Most published tables do not change from one month to the next (an annual survey's marts, the social care mart),
and their suites would read the same rows and meet the same rules again. When a check passes, the gate records each
relation the check read (named in the SQL it ran) with a fingerprint of its columns and rows, and a fingerprint of
what that check is run with (the gate's code and the caller's `configuration`: for a check comparing with the
published snapshot, whether there is one; not for the others). The next gate runs the check again unless all of
them are as recorded. A failed check is always run again; the pipeline's full-build switch runs every check.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from .marts import PREVIOUS
from .raw import ROWS_HASHED
from .runner import Verdict

PASSED = "landing.mart_gate_passed"  # per check: the relations it read when it last passed, and their fingerprints
RELATION = re.compile(rf"\b((?:{PREVIOUS}\.)?(?:marts|intermediate|staging)\.[A-Za-z_][A-Za-z0-9_]*)")
CODE = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()


class Reads:
    """The connection a check is given: every call passes through, and the relations its SQL names are noted."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con, self.relations = con, set()

    def execute(self, sql: str, *args):
        self.relations.update(RELATION.findall(sql))
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def configuration(*parts) -> str:
    """A fingerprint of what a check is run with, beyond the relations it reads (its code among them): the same in
    every process (a set's order is not, so sets are sorted)."""
    return hashlib.sha256(repr(_canonical((CODE, *parts))).encode()).hexdigest()[:16]


def _canonical(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__, _canonical({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, dict):
        return sorted((repr(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(_canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return repr(value)


def fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    """Columns, types and rows of a relation (None when it cannot be read: it is gone)."""
    try:
        rows = con.execute(f"select count(*), {ROWS_HASHED} from {relation}").fetchone()
        columns = con.execute(f"select * from {relation} limit 0").description
    except duckdb.Error:
        return None
    return hashlib.sha256(repr((rows, [(c[0], str(c[1])) for c in columns])).encode()).hexdigest()[:16]


def run_or_stand(con: duckdb.DuckDBPyConnection, check: str, table: str, config: str,
                 run: Callable[[Reads], Verdict], everything: bool = False) -> Verdict:
    """The check's verdict: the one it last passed with when nothing it read and nothing it is run with changed
    since (unless `everything`), else run now; a pass is recorded with what it read."""
    con.execute("create schema if not exists landing")
    con.execute(f"create table if not exists {PASSED} (check_name VARCHAR, config VARCHAR, relation VARCHAR, "
                "fingerprint VARCHAR)")
    passed = con.execute(f"select relation, fingerprint from {PASSED} where check_name = ? and config = ?",
                         [check, config]).fetchall()
    if passed and not everything and all(fingerprint(con, r) == f for r, f in passed):
        return Verdict(check, table, 0, notes=(f"not run again: the {len(passed)} relations it read, its rules and "
                                               "its code are as they were when it last passed",))
    reads = Reads(con)
    verdict = run(reads)
    con.execute(f"delete from {PASSED} where check_name = ?", [check])
    if verdict.success and reads.relations:  # a check that read nothing (a first publication) runs every time
        con.executemany(f"insert into {PASSED} values (?, ?, ?, ?)",
                        [[check, config, r, fingerprint(con, r)] for r in sorted(reads.relations)])
    return verdict
