"""Shared fixtures: a fresh home per test, the tiny synthetic extracts, the real published data."""
from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.keys import create_key
from pipelines.landing import ensure_raw_tables
from pipelines.project import ensure_manifest
from pipelines.runs import prepare
from pipelines.settings import REPO_ROOT, Home

REALDATA = REPO_ROOT.parent / "shared" / "realdata"
TINY_SEED = 7


def pytest_sessionstart(session):
    ensure_manifest()  # dagster-dbt reads the manifest when the definitions are imported


# The files that run the whole pipeline many times, longest first as measured on the 2-core machine: the workers
# take a file at a time, and a long file taken last would leave the other workers idle at the end
LONGEST_FILES = ("test_cli.py", "test_concurrency.py", "test_faults_tiny.py", "test_gates.py",
                 "test_landing_pipeline.py", "test_boundaries.py", "test_faults_realdata.py", "test_operations.py",
                 "test_dashboard_pages.py", "test_landing_synthetic.py")


def pytest_collection_modifyitems(config, items):
    """The longest files first (`make test` passes --no-loadscope-reorder to keep this order)."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real published NHS files. Under CI=true their absence is a failure, not a skip."""
    if not REALDATA.is_dir():
        message = f"real published data not found at {REALDATA}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return REALDATA


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    """An empty home folder with a pseudonymisation key; the environment points at it for this test only."""
    h = Home(tmp_path / "home")
    point_environment_at(monkeypatch, h)
    prepare(h)
    create_key(h)
    return h


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """The tiny synthetic extracts (generated once per session) and what the generator says they contain."""
    from pipelines.synth import generate

    return generate(scale="tiny", out_dir=tmp_path_factory.mktemp("tiny"), seed=TINY_SEED)


@pytest.fixture(scope="session")
def tiny_extracts(tiny) -> Path:
    """The tiny extracts' folder; copy files from it, never move them."""
    return tiny.out_dir


@pytest.fixture(scope="session")
def published_tiny(tmp_path_factory, tiny) -> Home:
    """One full run over every tiny extract, shared by the session: read it, never change it
    (copy it with `copy_home` first)."""
    def build(h: Home) -> None:
        land(h, *sorted(tiny.out_dir.iterdir()))

    return published_once(tmp_path_factory, "published_tiny", build)


REAL_SICKNESS = "nhs_sickness_absence_org_monthly"
REAL_TURNOVER = "nhs_workforce_turnover_benchmarking"
REAL_SURVEY = "nhs_staff_survey_orgs_2021_2024"


@pytest.fixture(scope="session")
def published_real(realdata, tmp_path_factory) -> Home:
    """One full run over real published files, shared by the session: the six sickness months, the October 2025
    turnover file, the 2021-2024 Staff Survey organisation results and the ODS trusts file. Read it, never change
    it (copy it with `copy_home` first)."""
    def build(h: Home) -> None:
        land(h, *real_sickness_months(realdata), *sorted((realdata / REAL_TURNOVER).glob("*.csv")),
             *sorted((realdata / REAL_SURVEY).glob("*.csv")), realdata / "ods_etr_2025" / "etr.csv")

    return published_once(tmp_path_factory, "published_real", build)


def published_once(tmp_path_factory, name: str, land_files: Callable[[Home], None]) -> Home:
    """A home that has published the files `land_files` lands, built once per test session whatever the number
    of xdist workers: the first worker to ask builds it, the others wait for it and share it (read only)."""
    from pipelines.runs import run_pipeline

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the workers' folders share this one, new for each session
    h = Home(base / name / "home")
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (h.root.parent / "published").exists():
            shutil.rmtree(h.root, ignore_errors=True)  # a worker that failed to build it left this
            with pytest.MonkeyPatch.context() as mp:
                point_environment_at(mp, h)
                prepare(h)
                create_key(h)
                land_files(h)
                summary = run_pipeline(h)
            assert summary.success, summary.failed_checks or summary.failed_steps
            (h.root.parent / "published").touch()
    return h


def real_sickness_months(realdata: Path) -> list[Path]:
    return sorted((realdata / REAL_SICKNESS).glob("nhs_sickness_absence_*.csv"))


def copy_home(source: Home, target: Path, monkeypatch) -> Home:
    """A private copy of a home, with the environment pointed at it for this test."""
    shutil.copytree(source.root, target)
    h = Home(target)
    point_environment_at(monkeypatch, h)
    prepare(h)
    return h


def point_environment_at(mp: pytest.MonkeyPatch, h: Home) -> None:
    mp.delenv("WELLBEING_PSEUDONYM_KEY", raising=False)
    for var, value in h.environment().items():
        mp.setenv(var, value)


def published_marts(serving: Path) -> dict[str, list[tuple]]:
    """Every published mart's rows, sorted, each float to 12 significant digits: a sum of doubles depends on
    the order rows reach it (weighted survey sums after a sickness file is re-sent), so two runs over the same
    inputs may differ in the last binary digit, never in a figure anyone reads."""
    def plain(value):
        return float(f"{value:.12g}") if isinstance(value, float) else value

    with duckdb.connect(str(serving), read_only=True) as con:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
        return {t: sorted((tuple(plain(v) for v in row) for row in con.execute(f"select * from marts.{t}").fetchall()),
                          key=repr) for t in tables}


def land(home: Home, *files: Path) -> list[Path]:
    """Copy files into the home's landing folder."""
    home.landing.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, home.landing / f.name)) for f in files]


@pytest.fixture
def warehouse(tmp_path):
    """An empty build database with every raw table, and its home; the connection closes after the test."""
    home = Home(tmp_path / "home").ensure()
    con = duckdb.connect(str(home.build_db))
    ensure_raw_tables(con)
    yield home, con
    con.close()
