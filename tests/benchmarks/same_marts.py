"""The fast paths publish what the slow paths do, at any scale of the generator.

Fast: every month but the last landed and run, then the last month (files read and loaded together, the last month
built incrementally), as the harness does. Slow: every file landed at once, each read and loaded alone
(`WELLBEING_LOAD_GROUP_BYTES=0`), every model built whole (`WELLBEING_FULL_BUILD=1`). The published marts must
hold the same rows (tests/integration/test_build_state.py checks this at the tiny scale on every test run):

    .venv/bin/python -m tests.benchmarks.same_marts --scale demo --work /tmp/same-marts
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.build_state import FULL_BUILD_ENV
from pipelines.keys import create_key
from pipelines.landing import GROUP_BYTES_ENV
from pipelines.settings import Home
from tests.benchmarks.harness import WELLBEING, split_last_month
from tests.conftest import published_marts


def run(home: Path, folders: list[Path], env: dict[str, str]) -> None:
    """Each folder's files landed and run in turn, in a new home with its own pseudonymisation key (the marts hold
    no pseudonym) and the given settings for loading and building (none of the caller's)."""
    h = Home(home).ensure()
    create_key(h)
    settings = {k: v for k, v in os.environ.items() if k not in (GROUP_BYTES_ENV, FULL_BUILD_ENV)}
    for folder in folders:
        for path in folder.iterdir():
            os.link(path, h.landing / path.name)
        subprocess.run([WELLBEING, "--home", str(home), "run"], env={**settings, **env}, check=True,
                       stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "demo", "national"], default="demo")
    parser.add_argument("--work", type=Path, required=True,
                        help="a folder for the extracts and two homes (about four times the extracts' size)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    work = args.work.resolve()
    extracts, base, new, fast, slow = (work / n for n in ("extracts", "base", "new_month", "fast", "slow"))
    for folder in (extracts, base, new, fast, slow):
        shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([WELLBEING, "generate", "--scale", args.scale, "--out", str(extracts), "--seed", str(args.seed)],
                   check=True, stdout=subprocess.DEVNULL)
    split_last_month(extracts, base, new)
    run(fast, [base, new], {})
    run(slow, [extracts], {GROUP_BYTES_ENV: "0", FULL_BUILD_ENV: "1"})
    fast_marts, slow_marts = (published_marts(home / "warehouse" / "serving.duckdb") for home in (fast, slow))
    differ = sorted(t for t in fast_marts.keys() | slow_marts.keys() if fast_marts.get(t) != slow_marts.get(t))
    rows = sum(len(rows) for rows in fast_marts.values())
    print(f"{args.scale}: {len(fast_marts)} marts, {rows:,} rows; "
          + (f"differ: {', '.join(differ)}" if differ else "the fast and the slow paths published the same rows"))
    return 1 if differ or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
