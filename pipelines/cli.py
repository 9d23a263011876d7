"""`wellbeing`: generate demo extracts, run the pipeline, report status, roll back, start the servers."""
from __future__ import annotations

import argparse
import gc
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from .settings import DEFAULT_HOME, HOME_ENV, Home

DEMO_SEED = 2026
LOCKED_EXIT = 75  # EX_TEMPFAIL: try again later
STOP_GRACE_SECONDS = 20


def command() -> int:
    """The `wellbeing` command: `main`, whose objects are then left to the operating system. The interpreter's
    last garbage collection walked every Dagster, dbt and Great Expectations object (over a second) only to free
    memory the exiting process hands back anyway; files and databases are closed by then, and the exit hooks (the
    pseudonym workers' among them) still run. (Not in `main`: a process that goes on after it, such as the tests,
    needs its garbage collected.)"""
    code = main()
    gc.freeze()
    return code


def main(argv: list[str] | None = None) -> int:
    from expectations.thresholds import InvalidThresholds

    from .lock import HomeLocked
    from .runs import BuildDatabaseUnreadable

    args = _parser().parse_args(argv)
    home = Home(Path(getattr(args, "home", None) or os.environ.get(HOME_ENV) or DEFAULT_HOME).resolve())
    try:
        return args.command(home, args)
    except HomeLocked as err:
        print(f"wellbeing: {err}")
        return LOCKED_EXIT
    except BuildDatabaseUnreadable as err:
        print(f"wellbeing: {err}")
        return 1
    except InvalidThresholds as err:
        print(f"wellbeing: invalid gates file: {err}")
        return 2
    except OSError as err:  # a full disk, a permission: one line, not a traceback
        print(f"wellbeing: {err.strerror or err} {err.filename or ''}".rstrip())
        return 1


def _parser() -> argparse.ArgumentParser:
    # --home is accepted before or after the command: `wellbeing --home D run` and `wellbeing run --home D`
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument("--home", default=argparse.SUPPRESS, metavar="DIR",
                      help=f"state folder (default ${HOME_ENV} or {DEFAULT_HOME})")
    parser = argparse.ArgumentParser(prog="wellbeing", description=__doc__, parents=[home])
    sub = parser.add_subparsers(required=True, metavar="command")

    def command(name: str, helptext: str, fn):
        p = sub.add_parser(name, help=helptext, description=helptext, parents=[home])
        p.set_defaults(command=fn)
        return p

    demo = command("demo", "generate the demo extracts, run the whole pipeline, print a summary", cmd_demo)
    demo.add_argument("--scale", choices=["tiny", "demo"], default="demo",
                      help="tiny: a few ICSs over two years (about a minute); demo: all 42 ICSs over three years")

    gen = command("generate", "write synthetic extracts in the real formats", cmd_generate)
    gen.add_argument("--scale", choices=["tiny", "demo", "national"], default="demo", help="how much to generate")
    gen.add_argument("--out", type=Path, required=True, help="folder to write the extracts into")
    gen.add_argument("--seed", type=int, default=DEMO_SEED, help="the same seed writes the same bytes")

    _run_options(command("run", "load every new landing file, build, check, publish", cmd_run))

    backfill = command("backfill", "load only the landing files of a range of months, build, check, publish",
                       cmd_backfill)
    backfill.add_argument("--from", dest="start", required=True, metavar="YYYY-MM", help="first month to load")
    backfill.add_argument("--to", dest="end", required=True, metavar="YYYY-MM", help="last month to load")
    _run_options(backfill)

    retract = command("retract", "remove a load's rows (restoring what it superseded) and republish", cmd_retract)
    retract.add_argument("target", help="a load id, or a file name (its latest load in force); see raw.load_log")
    retract.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                         help="wait this long for a run holding the home (default: exit at once)")
    rebuild = command("rebuild", "rebuild build.duckdb from archive/ in the original load order, then republish",
                      cmd_rebuild)
    rebuild.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                         help="wait this long for a run holding the home (default: exit at once)")

    command("status", "what is published, its checks and freshness, and how the last run ended", cmd_status)
    rollback = command("rollback", "serve the previous published snapshot again", cmd_rollback)
    rollback.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                          help="wait this long for a run holding the home (default: exit at once)")
    command("docs", "write the data dictionary (dbt docs, one static HTML page) under reports/", cmd_docs)

    dashboard = command("dashboard", "start the Streamlit dashboard on 127.0.0.1", cmd_dashboard)
    dashboard.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1 (default 8501)")
    ui = command("ui", "start the Dagster UI (and its daemon) on 127.0.0.1", cmd_ui)
    ui.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000)")
    ui.add_argument("--automation", action="store_true",
                    help="turn on the landing sensor and the monthly schedule before starting")
    return parser


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", type=Path, metavar="DIR",
                        help="copy the extracts in this folder into the landing folder first")
    parser.add_argument("--accept-gates", type=Path, metavar="FILE",
                        help="thresholds for this run only (same keys as gates.yml), e.g. for a large backfill")
    parser.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                        help="wait this long for another run or rollback holding the home (default: exit at once)")
    parser.add_argument("--purge-record-level", action="store_true",
                        help="after loading, delete the clear copies of record-level extracts from archive/")
    parser.add_argument("--rotate-key", action="store_true",
                        help="accept a pseudonymisation key other than the warehouse's and make it the warehouse's")


def cmd_generate(home: Home, args) -> int:
    from .synth import generate

    started = time.perf_counter()
    summary = generate(scale=args.scale, out_dir=args.out, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"wrote {len(summary.files)} files to {args.out} in {seconds:.1f} s (scale {args.scale}, seed {args.seed})")
    return 0


def cmd_backfill(home: Home, args) -> int:
    from .backfill import MonthRange

    try:
        months = MonthRange.parse(args.start, args.end)
    except ValueError as err:
        print(f"wellbeing backfill: {err}")
        return 2
    return cmd_run(home, args, months)


def cmd_run(home: Home, args, months=None) -> int:
    from expectations.thresholds import read_gates_file

    from .keys import KeyProblem, preflight
    from .landing import needs_pseudonym_key, purge_record_level
    from .lock import home_lock
    from .runs import check_build_database, prepare, stage_landing

    prepare(home)
    accept = getattr(args, "accept_gates", None)
    if accept:
        read_gates_file(accept)  # refuse a bad file before anything starts
    with home_lock(home, "run", getattr(args, "wait", 0)):
        if args.landing:
            staged = stage_landing(home, args.landing)
            print(f"copied {len(staged)} files from {args.landing} into {home.landing}")
        check_build_database(home)
        try:
            preflight(home, needs_pseudonym_key(home), rotate=getattr(args, "rotate_key", False))
        except KeyProblem as err:
            print(f"wellbeing: {err}", file=sys.stderr)
            return 2
        code = _publish_run(home, accept, months)
        if getattr(args, "purge_record_level", False):
            purged = purge_record_level(home)
            print(f"purged {len(purged)} clear record-level extract(s) from {home.archive}")
    return code


def _publish_run(home: Home, accept: Path | None = None, months=None) -> int:
    """The pipeline run itself, with progress lines; the caller holds the home lock."""
    from expectations.thresholds import ONE_SHOT_NAME

    from .runs import run_pipeline

    one_shot = home.root / ONE_SHOT_NAME
    if accept:
        shutil.copyfile(accept, one_shot)
        print(f"gates for this run only: {accept} (recorded in meta.publish_log)")
    if months:
        print(f"backfill {months}: landing files of other months wait in {home.held} until the run ends")
    print(f"live log: {home.reports / 'last_run.log'}")
    started = time.perf_counter()
    try:
        report = run_pipeline(home, on_progress=lambda p: print(p.line(), flush=True), months=months,
                              started_by="wellbeing backfill" if months else "wellbeing run")
    finally:
        one_shot.unlink(missing_ok=True)
    _print_run(report, home, time.perf_counter() - started)
    return 0 if report.success else 1


def cmd_retract(home: Home, args) -> int:
    import duckdb

    from .landing import RetractRefused, retract
    from .lock import home_lock
    from .runs import prepare

    prepare(home)
    if not home.build_db.exists():
        print(f"nothing has been loaded in {home.root}")
        return 1
    with home_lock(home, "retract", getattr(args, "wait", 0)):
        with duckdb.connect(str(home.build_db)) as con:
            try:
                done = retract(con, home, args.target)
            except RetractRefused as err:
                print(f"cannot retract: {err}")
                return 1
        print(done.describe())
        return _publish_run(home)


def cmd_rebuild(home: Home, args) -> int:
    from .keys import KeyProblem, key_for
    from .landing import archived_loads, rebuild
    from .lock import home_lock
    from .runs import prepare

    prepare(home)
    with home_lock(home, "rebuild", getattr(args, "wait", 0)):
        try:
            # not checked against the old build.duckdb (it may be what is broken): the rebuild re-pseudonymises
            # every archived load with this key and records it as the warehouse's
            key = key_for(home, any(s.get("record_level") for s in archived_loads(home)))
        except KeyProblem as err:
            print(f"wellbeing: {err}", file=sys.stderr)
            return 2
        results = rebuild(home, key)
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(Counter(r.outcome for r in results).items())) or "no loads"
        print(f"rebuilt {home.build_db} from {home.archive}: {outcomes}")
        for r in results:
            if r.outcome != "loaded":
                print(f"  {r.outcome}: {r.message}")
        return _publish_run(home)


def cmd_demo(home: Home, args) -> int:
    from .keys import create_key
    from .runs import prepare
    from .synth import generate

    prepare(home)
    create_key(home)
    started = time.perf_counter()
    generated = generate(scale=args.scale, out_dir=home.landing, seed=DEMO_SEED)
    print(f"generated {len(generated.files)} demo extracts ({args.scale} scale) in {home.landing}")
    args.landing = None
    code = cmd_run(home, args)
    if code == 0:
        print("\nnext:")
        for line in closing_hints(home):
            print(f"  {line}")
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return code


def closing_hints(home: Home) -> list[str]:
    """Commands that work as printed on a fresh clone: the venv's own executables, no PATH assumed."""
    wellbeing = _shell_path(Path(sys.executable).with_name("wellbeing"))
    python = _shell_path(Path(sys.executable))
    at = f"--home {shlex.quote(_display(home.root))}"
    serving = _display(home.serving_db)
    if shutil.which("duckdb"):
        sql = f"duckdb -readonly {shlex.quote(serving)}        # query the marts in SQL"
    else:
        query = (f"import duckdb; print(duckdb.connect({serving!r}, read_only=True)"
                 f".sql('select * from marts.ics_sickness_monthly limit 10'))")
        sql = f"{python} -c {shlex.quote(query)}"
    return [f"{wellbeing} {at} dashboard    # Streamlit dashboard on http://127.0.0.1:8501",
            f"{wellbeing} {at} ui           # Dagster UI on http://127.0.0.1:3000",
            sql]


def _display(path: Path) -> str:
    """A path relative to the working directory when it lies under it (shorter, and what a README shows)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _shell_path(path: Path) -> str:
    shown = _display(path)
    return shlex.quote(shown if os.sep in shown else f".{os.sep}{shown}")


def _print_run(report, home: Home, seconds: float) -> None:
    from .outcomes import grouped_failures

    by_outcome: dict[str, int] = {}
    for f in report.files:
        by_outcome[f["outcome"]] = by_outcome.get(f["outcome"], 0) + 1
    print("files: " + (", ".join(f"{n} {k}" for k, n in sorted(by_outcome.items())) or "no new files"))
    for f in report.files:
        if f["outcome"] == "rejected":
            print(f"  rejected -> quarantine: {f['message']}")
    passed = sum(c.passed for c in report.checks)
    print(f"checks: {passed} of {len(report.checks)} passed")
    for c in report.failed_checks:
        print(f"  FAILED {c.check} on {c.asset}: {c.detail}")
    for c in report.outcome.warnings:
        print(f"  warning {c.check} on {c.asset}: {c.detail}")
    unjudged = [c for c in report.checks if c.passed and c.metadata.get("evaluated") == 0]
    if unjudged:
        print(f"  note: {len(unjudged)} checks had no baseline to compare with (e.g. {unjudged[0].detail})")
    for steps, message in grouped_failures(report.failed_steps):
        print(f"  step failed: {', '.join(steps)}: {message}")
    if report.success:
        from .runs import icss_covered

        tables = report.published["tables"]
        print(f"published {len(tables)} tables, {sum(tables.values())} rows -> {home.serving_db}")
        for table, rows in sorted(tables.items()):
            print(f"  marts.{table}: {rows} rows")
        print(f"ICSs covered: {icss_covered(home)}")
    else:
        print(f"NOT published: the previous snapshot (if any) is still served from {home.serving_db}")
    print(f"run {report.run_id[:8]} took {seconds:.0f} s; full log: {home.reports / 'last_run.log'}")


def cmd_status(home: Home, args) -> int:
    from .lock import HomeLocked, home_lock
    from .outcomes import grouped_failures
    from .publish import restore_serving
    from .runs import last_outcomes, published_status

    if home.root.exists():
        try:
            with home_lock(home, "status"):
                restored = restore_serving(home)
            if restored:
                print(f"serving.duckdb was missing or unreadable: restored from snapshot {restored.name}")
        except HomeLocked as err:
            print(f"note: {err}")
    status = published_status(home)
    if status is None:
        print(f"nothing published yet in {home.root}")
    else:
        print(f"published {status['publish_id']} at {status['published_at']} UTC from {status['files_loaded']} loaded files")
        print(f"checks at publish: {status['checks_passed']} of {status['checks']} passed")
        for table, rows in sorted(status["tables"].items()):
            print(f"  marts.{table}: {rows} rows")
        for s in status["stale"]:
            print(f"  STALE {s['format']}: latest period {s['latest_period']} is {s['age_months']} months old "
                  f"(policy: at most {s['max_age_months']})")
    outcomes = last_outcomes(home)
    for outcome in outcomes:
        if not outcome.finished:
            print(f"running: run {outcome.run_id[:8]} started at {outcome.started_at} UTC by {outcome.started_by}")
            continue
        ended = ("published" if outcome.success else "FAILED, not published"
                 if outcome.failed_steps or outcome.failed_checks else "finished without publishing")
        print(f"last run {outcome.run_id[:8]} at {outcome.started_at} UTC, started by {outcome.started_by}: {ended}")
        for c in outcome.failed_checks:
            print(f"  FAILED {c.check} on {c.asset}: {c.detail}")
        for steps, message in grouped_failures(outcome.failed_steps):
            print(f"  step failed: {', '.join(steps)}: {message}")
        break
    return 0 if status is not None else 1


def cmd_rollback(home: Home, args) -> int:
    from .lock import home_lock
    from .publish import restore_serving, rollback

    with home_lock(home, "rollback", getattr(args, "wait", 0)):
        restored = restore_serving(home)
        if restored:
            print(f"serving.duckdb was missing or unreadable: restored from snapshot {restored.name}")
        try:
            target = rollback(home)
        except FileNotFoundError as err:
            print(f"cannot roll back: {err}")
            return 1
    print(f"serving {home.serving_db} from snapshot {target.name}")
    return 0


def cmd_docs(home: Home, args) -> int:
    """dbt docs of the built warehouse (run it when no pipeline run is writing)."""
    from .project import DBT_DIR, dbt_command, in_home
    from .runs import prepare

    prepare(home)
    target = home.reports / "dbt-docs"
    code = subprocess.call(dbt_command("docs", "generate", "--static", "--quiet", "--log-path", str(home.root / "dbt" / "logs"),
                                       "--target-path", str(target), *in_home(home)), cwd=DBT_DIR)
    if code == 0:
        print(f"data dictionary: {target / 'static_index.html'}")
    return code


def cmd_dashboard(home: Home, args) -> int:
    from dashboards.launch import streamlit_command, working_directory

    home.ensure()
    return supervise(streamlit_command(args.port), {**os.environ, **home.environment()}, cwd=working_directory())


def cmd_ui(home: Home, args) -> int:
    from .runs import prepare

    prepare(home)
    env = {**os.environ, **home.environment()}
    if args.automation:
        for kind in ("sensor", "schedule"):
            subprocess.run([sys.executable, "-m", "dagster", kind, "start", "--start-all", "-m", "pipelines.definitions"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
        print("automation on: the landing sensor and the monthly schedule run while the UI is up")
    return supervise([sys.executable, "-m", "dagster", "dev", "-m", "pipelines.definitions",
                      "-h", "127.0.0.1", "-p", str(args.port)], env)


def supervise(command: list[str], env: dict, cwd: Path | None = None) -> int:
    """Run a server in its own process group; on SIGTERM or SIGINT stop the whole group (its web server,
    daemon and code servers too): ask with SIGINT, wait, then kill what is left."""
    child = subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True)

    def stop(signum, frame) -> None:
        _signal_group(child.pid, signal.SIGINT)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = child.wait()
    finally:
        _signal_group(child.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while _group_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        _signal_group(child.pid, signal.SIGKILL)
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(command())
