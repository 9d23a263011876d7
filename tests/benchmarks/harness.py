"""The benchmark: one command measures the pipeline against DuckDB's own read time and a pandas script.

    .venv/bin/python -m tests.benchmarks.harness --scale national --work /tmp/bench [--memory-limit 4GB]

In one run, on the same files: generation; the floor (DuckDB reading every input file once into tables,
nothing else); a full `wellbeing run` from an empty home (time per Dagster step); adding one new month to the
warehouse that holds the others; re-sending one corrected month; the dashboard's page queries on the served
database; the plain-pandas reference for the ICS monthly sickness and leaver marts. Every command runs as a
child process whose whole process tree is sampled for resident memory. Results go to
<work>/results.json and <work>/results.md, with the machine's cores and memory and the targets of issue 13.

The last month is held back from the full run (published files of that month; record-level rows of that month
split into files of their own) so that adding it is a real incremental step.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl

PYTHON = sys.executable
WELLBEING = str(Path(sys.executable).with_name("wellbeing"))
RECORD_LEVEL = {  # file prefix -> date column that places a row in a month
    "esr_staff_in_post_": "month_end",
    "esr_leavers_": "leave_date",
    "esr_absence_": "absence_start",
}
PUBLISHED_MONTHLY = ("sickness_org_", "sickness_staff_group_", "sickness_reason_", "turnover_")


@dataclass
class Measure:
    name: str
    seconds: float
    peak_rss_gb: float
    exit_code: int
    detail: dict | None = None


class TreeMemory:
    """Samples the resident memory of a process and all its descendants (from /proc), keeping the peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            self._stop.wait(self.interval)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured(name: str, command: list[str], env: dict | None = None, log: Path | None = None) -> Measure:
    started = time.perf_counter()
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
        with TreeMemory(proc.pid) as memory:
            code = proc.wait()
    finally:
        if log:
            out.close()
    result = Measure(name, round(time.perf_counter() - started, 1), round(memory.peak / 1e9, 2), code)
    print(f"{name}: {result.seconds} s, peak {result.peak_rss_gb} GB, exit {code}", flush=True)
    return result


def split_last_month(extracts: Path, base: Path, new_month: Path) -> str:
    """Everything but the last month into `base`; the last month into `new_month` (files hard-linked or split)."""
    months = sorted(p.stem.removeprefix("sickness_org_") for p in extracts.glob("sickness_org_*.csv"))
    last = months[-1]
    for folder in (base, new_month):
        folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(extracts.iterdir()):
        if path.name.startswith(PUBLISHED_MONTHLY) and path.stem.endswith(last):
            os.link(path, new_month / path.name)
        elif prefix := next((p for p in RECORD_LEVEL if path.name.startswith(p)), None):
            df = pl.read_csv(path, infer_schema=False)
            in_last = pl.col(RECORD_LEVEL[prefix]).str.starts_with(last)
            df.filter(~in_last).write_csv(base / path.name)
            df.filter(in_last).write_csv(new_month / f"{path.stem}_{last}.csv")
        else:
            os.link(path, base / path.name)
    return last


def corrected_month(new_month: Path, out: Path, last: str) -> Path:
    """The last month's organisation sickness file again, same name, one organisation's name corrected.

    A correction of a name, not of days: the published and record-level routes must keep agreeing (a dbt test),
    so a corrected count in one route alone would rightly be stopped by the gates.
    """
    out.mkdir(parents=True, exist_ok=True)
    name = f"sickness_org_{last}.csv"
    df = pl.read_csv(new_month / name, infer_schema=False)
    first = pl.int_range(pl.len()) == 0
    df = df.with_columns(ORG_NAME=pl.when(first).then(pl.col("ORG_NAME") + " (CORRECTED)").otherwise(pl.col("ORG_NAME")))
    df.write_csv(out / name)
    return out / name


def pandas_agreement(serving: Path, pandas_csv: Path) -> dict:
    """How far the pandas reference is from the published ICS sickness and leaver rates (same definitions)."""
    reference = pl.read_csv(pandas_csv).with_columns(pl.col("month").str.to_date("%Y-%m"))
    with duckdb.connect(str(serving), read_only=True) as con:
        marts = con.sql("""
            select s.icb_code, s.period_month as month, s.sickness_rate, t.leaver_rate
            from marts.ics_sickness_monthly s left join marts.ics_turnover_monthly t
              using (icb_code, period_month, boundary_basis)
            where s.boundary_basis = 'as_at'""").pl()
    both = marts.join(reference, on=["icb_code", "month"], suffix="_pandas")
    return {"ics_months_compared": both.height,
            "max_abs_diff_sickness_rate": both.select((pl.col("sickness_rate") - pl.col("sickness_rate_pandas"))
                                                      .abs().max()).item(),
            "max_abs_diff_leaver_rate": both.select((pl.col("leaver_rate") - pl.col("leaver_rate_pandas"))
                                                    .abs().max()).item()}


def floor_script(folder: Path, database: Path) -> str:
    """DuckDB alone: every file read once into a table of its format (auto-detected types), nothing else."""
    groups: dict[str, list[str]] = {}
    for path in sorted(folder.iterdir()):
        stem = path.stem
        prefix = next((p for p in (*RECORD_LEVEL, *PUBLISHED_MONTHLY) if stem.startswith(p)),
                      stem.rstrip("0123456789_-"))
        groups.setdefault(prefix.strip("_"), []).append(str(path))
    lines = ["import duckdb", f"con = duckdb.connect({str(database)!r})"]
    for table, files in groups.items():
        header = "false" if table.startswith("ods_etr") else "true"
        lines.append(f"con.execute('create table \"{table}\" as select * from read_csv(?, header={header}, "
                     f"union_by_name=true)', [{files!r}])")
    lines.append("con.close()")
    return "\n".join(lines)


def step_seconds(home: Path) -> dict[str, float]:
    """Seconds per Dagster step of the home's latest run (from its instance's event log)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        run = instance.get_runs(limit=1)[0]
        return {s.step_key: round(s.end_time - s.start_time, 1)
                for s in instance.get_run_step_stats(run.run_id) if s.end_time and s.start_time}


def dashboard_queries(home: Path) -> list[str]:
    """Each dashboard page's queries and server-side render, median and p95 (tests/benchmarks/bench_dashboard.py)."""
    done = subprocess.run([PYTHON, str(Path(__file__).with_name("bench_dashboard.py")), "--home", str(home)],
                          capture_output=True, text=True)
    return done.stdout.splitlines() + ([f"failed: {done.stderr.splitlines()[-1]}"] if done.returncode else [])


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(total_kb / 1e6, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    m = {r["name"]: r for r in results["measures"]}
    full, floor, pandas = m.get("full_run"), m.get("floor_duckdb_read"), m.get("pandas_reference")
    rows = []
    if full and floor:
        ratio = full["seconds"] / floor["seconds"]
        rows.append(("full run <= 3x floor", f"{ratio:.1f}x", ratio <= 3))
        rows.append(("full run <= 600 s", f"{full['seconds']} s", full["seconds"] <= 600))
    peak = max((r["peak_rss_gb"] for r in results["measures"] if r["name"] in {"full_run", "new_month",
                                                                              "corrected_month"}), default=None)
    if peak is not None:
        rows.append(("peak memory <= 8 GB", f"{peak} GB", peak <= 8))
    for name in ("new_month", "corrected_month"):
        if name in m:
            rows.append((f"{name.replace('_', ' ')} <= 60 s", f"{m[name]['seconds']} s", m[name]["seconds"] <= 60))
    if full and pandas:
        # the pandas script recomputes two marts; the pipeline's full run builds every mart and gate
        speedup = pandas["seconds"] / full["seconds"]
        rows.append(("pipeline >= 10x faster than pandas (full run vs pandas)", f"{speedup:.2f}x", speedup >= 10))
    query_p95 = [float(line.rsplit("p95", 1)[1].split()[0]) for line in results.get("dashboard", [])
                 if " queries (" in line]
    if query_p95:
        rows.append(("dashboard page queries p95 <= 100 ms", f"{max(query_p95) * 1000:.0f} ms", max(query_p95) <= 0.1))
    return rows


def markdown(results: dict) -> str:
    mach = results["machine"]
    lines = [f"# Benchmark, scale `{results['scale']}`", "",
             f"Machine: {mach['cores']} cores, {mach['memory_gb']} GB, Python {mach['python']}, {mach['platform']}."
             + (f" DuckDB memory_limit {results['memory_limit']}." if results.get("memory_limit") else ""), "",
             "| measure | seconds | peak memory of the process tree (GB) | exit |", "|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['seconds']} | {r['peak_rss_gb']} | {r['exit_code']} |" for r in results["measures"]]
    for name, steps in results.get("steps", {}).items():
        lines += ["", f"Steps of `{name}` (seconds):", "", "| step | seconds |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])]
    if results.get("dashboard"):
        lines += ["", "Dashboard (bench_dashboard.py):", "", "```", *results["dashboard"], "```"]
    if results.get("pandas_agreement"):
        lines += ["", f"pandas reference against the published marts: {results['pandas_agreement']}"]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {v} | {'yes' if ok else 'no'} |" for t, v, ok in targets(results)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "demo", "national"], default="national")
    parser.add_argument("--work", type=Path, required=True, help="an empty folder with room for the extracts twice")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the pipeline, e.g. 4GB")
    parser.add_argument("--skip", nargs="*", default=[], choices=["floor", "pandas", "increments"],
                        help="parts to leave out")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    extracts, base, new, fix, home = (work / n for n in ("extracts", "base", "new_month", "corrected", "home"))
    for folder in (base, new, fix, home):
        shutil.rmtree(folder, ignore_errors=True)
    env = {"WELLBEING_HOME": str(home)}
    if args.memory_limit:
        env["WELLBEING_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    results: dict = {"scale": args.scale, "machine": machine(), "memory_limit": args.memory_limit,
                     "measures": [], "steps": {}}

    def record(m: Measure):
        results["measures"].append(asdict(m))
        (work / "results.json").write_text(json.dumps(results, indent=2))

    shutil.rmtree(extracts, ignore_errors=True)
    record(measured("generate", [WELLBEING, "generate", "--scale", args.scale, "--out", str(extracts),
                                 "--seed", str(args.seed)]))
    last = split_last_month(extracts, base, new)
    corrected_month(new, fix, last)
    if "floor" not in args.skip:
        script = work / "floor.py"
        script.write_text(floor_script(base, work / "floor.duckdb"))
        (work / "floor.duckdb").unlink(missing_ok=True)
        record(measured("floor_duckdb_read", [PYTHON, str(script)]))
        (work / "floor.duckdb").unlink(missing_ok=True)

    subprocess.run([WELLBEING, "--home", str(home), "status"], env={**os.environ, **env}, capture_output=True)
    key = home / "secrets" / "pseudonym.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(0o600)

    def run(name: str, folder: Path):
        landing = home / "landing"
        landing.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            os.link(path, landing / path.name)
        record(measured(name, [WELLBEING, "--home", str(home), "run"], env, log=work / f"{name}.log"))
        results["steps"][name] = step_seconds(home)

    run("full_run", base)
    if "increments" not in args.skip:
        run("new_month", new)
        run("corrected_month", fix)
    serving = home / "warehouse" / "serving.duckdb"
    if serving.exists():
        with duckdb.connect(str(serving), read_only=True) as con:
            results["published_tables"] = dict(con.execute(
                "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts'").fetchall())
        results["dashboard"] = dashboard_queries(home)
    if "pandas" not in args.skip:
        record(measured("pandas_reference", [PYTHON, "-m", "tests.benchmarks.pandas_reference", str(extracts),
                                             str(work / "pandas_ics_monthly.csv")]))
        if serving.exists():
            results["pandas_agreement"] = pandas_agreement(serving, work / "pandas_ics_monthly.csv")
    (work / "results.json").write_text(json.dumps(results, indent=2))
    (work / "results.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
