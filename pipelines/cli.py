"""`wellbeing`: generate demo extracts, run the pipeline, report status, roll back, start the servers."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from .settings import DBT_DIR, DEFAULT_HOME, HOME_ENV, REPO_ROOT, Home

DEMO_SEED = 2026


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = Home(Path(args.home or os.environ.get(HOME_ENV) or DEFAULT_HOME).resolve())
    return args.command(home, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wellbeing", description=__doc__)
    parser.add_argument("--home", help=f"state folder (default ${HOME_ENV} or {DEFAULT_HOME})")
    sub = parser.add_subparsers(required=True, metavar="command")

    demo = sub.add_parser("demo", help="generate the demo extracts, run the whole pipeline, print a summary")
    demo.add_argument("--scale", choices=["tiny", "demo"], default="demo")
    demo.set_defaults(command=cmd_demo)

    gen = sub.add_parser("generate", help="write synthetic extracts in the real formats")
    gen.add_argument("--scale", choices=["tiny", "demo", "national"], default="demo")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=DEMO_SEED)
    gen.set_defaults(command=cmd_generate)

    run = sub.add_parser("run", help="load every new landing file, build, check, publish")
    run.add_argument("--landing", type=Path, help="copy the extracts in this folder into the landing folder first")
    run.add_argument("--purge-record-level", action="store_true",
                     help="after loading, delete the clear copies of record-level extracts from archive/")
    run.add_argument("--rotate-key", action="store_true",
                     help="accept a pseudonymisation key other than the warehouse's and make it the warehouse's")
    run.set_defaults(command=cmd_run)

    retract = sub.add_parser("retract", help="remove a load's rows (restoring what it superseded) and republish")
    retract.add_argument("target", help="a load id, or a file name (its latest load in force); see raw.load_log")
    retract.set_defaults(command=cmd_retract)
    sub.add_parser("rebuild", help="rebuild build.duckdb from archive/ in the original load order, then republish"
                   ).set_defaults(command=cmd_rebuild)

    sub.add_parser("status", help="what is published, from which loads, with which check results"
                   ).set_defaults(command=cmd_status)
    sub.add_parser("rollback", help="serve the previous published snapshot again").set_defaults(command=cmd_rollback)
    sub.add_parser("docs", help="write the data dictionary (dbt docs, one static HTML page) under reports/"
                   ).set_defaults(command=cmd_docs)

    for name, helptext, fn in (("dashboard", "start the Streamlit dashboard on 127.0.0.1", cmd_dashboard),
                               ("ui", "start the Dagster UI on 127.0.0.1", cmd_ui)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--port", type=int, default=8501 if name == "dashboard" else 3000)
        p.set_defaults(command=fn)
    return parser


def cmd_generate(home: Home, args) -> int:
    from .synth import generate

    started = time.perf_counter()
    summary = generate(scale=args.scale, out_dir=args.out, seed=args.seed)
    print(f"wrote {len(summary.files)} files to {args.out} in {time.perf_counter() - started:.1f} s (scale {args.scale}, seed {args.seed})")
    return 0


def cmd_run(home: Home, args) -> int:
    from .runs import prepare, run_pipeline, stage_landing

    from .keys import KeyProblem, preflight
    from .landing import needs_pseudonym_key, purge_record_level

    prepare(home)
    if args.landing:
        staged = stage_landing(home, args.landing)
        print(f"copied {len(staged)} files from {args.landing} into {home.landing}")
    try:
        preflight(home, needs_pseudonym_key(home), rotate=getattr(args, "rotate_key", False))
    except KeyProblem as err:
        print(f"wellbeing: {err}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    summary = run_pipeline(home)
    _print_run(summary, home, time.perf_counter() - started)
    if getattr(args, "purge_record_level", False):
        purged = purge_record_level(home)
        print(f"purged {len(purged)} clear record-level extract(s) from {home.archive}")
    return 0 if summary.success else 1


def cmd_retract(home: Home, args) -> int:
    import duckdb

    from .landing import RetractRefused, retract
    from .runs import prepare, run_pipeline

    prepare(home)
    if not home.build_db.exists():
        print(f"nothing has been loaded in {home.root}")
        return 1
    with duckdb.connect(str(home.build_db)) as con:
        try:
            done = retract(con, home, args.target)
        except RetractRefused as err:
            print(f"cannot retract: {err}")
            return 1
    print(done.describe())
    started = time.perf_counter()
    summary = run_pipeline(home)
    _print_run(summary, home, time.perf_counter() - started)
    return 0 if summary.success else 1


def cmd_rebuild(home: Home, args) -> int:
    from .keys import KeyProblem, preflight
    from .landing import archived_loads, rebuild
    from .runs import prepare, run_pipeline

    prepare(home)
    try:
        key = preflight(home, any(s.get("record_level") for s in archived_loads(home)), rotate=True)
    except KeyProblem as err:
        print(f"wellbeing: {err}", file=sys.stderr)
        return 2
    results = rebuild(home, key)
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(Counter(r.outcome for r in results).items())) or "no loads"
    print(f"rebuilt {home.build_db} from {home.archive}: {outcomes}")
    for r in results:
        if r.outcome != "loaded":
            print(f"  {r.outcome}: {r.message}")
    started = time.perf_counter()
    summary = run_pipeline(home)
    _print_run(summary, home, time.perf_counter() - started)
    return 0 if summary.success else 1


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
        print(f"  wellbeing --home {home.root} dashboard    # Streamlit dashboard on http://127.0.0.1:8501")
        print(f"  wellbeing --home {home.root} ui           # Dagster UI on http://127.0.0.1:3000")
        print(f"  duckdb -readonly {home.serving_db}        # query the marts in SQL")
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return code


def _print_run(summary, home: Home, seconds: float) -> None:
    by_outcome: dict[str, int] = {}
    for f in summary.files:
        by_outcome[f["outcome"]] = by_outcome.get(f["outcome"], 0) + 1
    print(f"files: " + (", ".join(f"{n} {k}" for k, n in sorted(by_outcome.items())) or "no new files"))
    for f in summary.files:
        if f["outcome"] == "rejected":
            print(f"  rejected -> quarantine: {f['message']}")
    passed = sum(c["passed"] for c in summary.checks)
    print(f"checks: {passed} of {len(summary.checks)} passed")
    for c in summary.failed_checks:
        print(f"  FAILED {c['check']} on {c['asset']}: {c['detail']}")
    for step in summary.failed_steps:
        print(f"  step failed: {step}")
    if summary.success:
        tables = summary.published["tables"]
        print(f"published {len(tables)} tables, {sum(tables.values())} rows -> {home.serving_db}")
        for table, rows in sorted(tables.items()):
            print(f"  marts.{table}: {rows} rows")
        from .runs import published_status
        status = published_status(home)
        print(f"ICSs covered: {status['icss']}")
    else:
        print(f"NOT published: the previous snapshot (if any) is still served from {home.serving_db}")
    print(f"run {summary.run_id[:8]} took {seconds:.0f} s; full log: {home.reports / 'last_run.log'}")


def cmd_status(home: Home, args) -> int:
    from .runs import published_status

    status = published_status(home)
    if status is None:
        print(f"nothing published yet in {home.root}")
    else:
        print(f"published {status['publish_id']} at {status['published_at']} UTC from {status['files_loaded']} loaded files")
        print(f"checks at publish: {status['checks_passed']} of {status['checks']} passed")
        for table, rows in sorted(status["tables"].items()):
            print(f"  marts.{table}: {rows} rows")
    last = home.reports / "last_run.json"
    if last.exists():
        run = json.loads(last.read_text())
        failed = [c for c in run["checks"] if not c["passed"]]
        print(f"last run {run['run_id'][:8]} at {run['started_at']} UTC: {'published' if run['success'] else 'FAILED, not published'}")
        for c in failed:
            print(f"  FAILED {c['check']} on {c['asset']}: {c['detail']}")
        for step in run["failed_steps"]:
            print(f"  step failed: {step}")
    return 0 if status is not None else 1


def cmd_rollback(home: Home, args) -> int:
    from .publish import rollback

    try:
        restored = rollback(home)
    except FileNotFoundError as err:
        print(f"cannot roll back: {err}")
        return 1
    print(f"serving {home.serving_db} from snapshot {restored.name}")
    return 0


def cmd_docs(home: Home, args) -> int:
    """dbt docs of the built warehouse (run it when no pipeline run is writing)."""
    from .runs import prepare

    prepare(home)
    target = home.reports / "dbt-docs"
    dbt = str(Path(sys.executable).with_name("dbt"))
    code = subprocess.call([dbt, "docs", "generate", "--static", "--quiet", "--profiles-dir", str(DBT_DIR),
                            "--project-dir", str(DBT_DIR), "--target-path", str(target)], cwd=DBT_DIR)
    if code == 0:
        print(f"data dictionary: {target / 'static_index.html'}")
    return code


def cmd_dashboard(home: Home, args) -> int:
    home.activate()
    app = REPO_ROOT / "dashboards" / "app.py"
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
                            "--server.address", "127.0.0.1", "--server.port", str(args.port),
                            "--browser.gatherUsageStats", "false"])


def cmd_ui(home: Home, args) -> int:
    from .runs import prepare

    prepare(home)
    # `dagster dev` re-parses the dbt project with the `dbt` on PATH: make it this environment's
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.call([sys.executable, "-m", "dagster", "dev", "-m", "pipelines.definitions",
                            "-h", "127.0.0.1", "-p", str(args.port)], env=env)


if __name__ == "__main__":
    sys.exit(main())
