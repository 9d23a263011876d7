"""Shared fixtures: a fresh home per test, the tiny synthetic extracts, the real published data."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.keys import create_key
from pipelines.runs import ensure_manifest, prepare
from pipelines.settings import REPO_ROOT, Home

REALDATA = REPO_ROOT.parent / "shared" / "realdata"
TINY_SEED = 7


def pytest_sessionstart(session):
    ensure_manifest()  # dagster-dbt reads the manifest when the definitions are imported


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
    for var in ("WELLBEING_HOME", "WELLBEING_BUILD_DB", "DAGSTER_HOME", "WELLBEING_PSEUDONYM_KEY"):
        monkeypatch.delenv(var, raising=False)
    h = Home(tmp_path / "home")
    monkeypatch.setenv("WELLBEING_HOME", str(h.root))
    monkeypatch.setenv("WELLBEING_BUILD_DB", str(h.build_db))
    monkeypatch.setenv("DAGSTER_HOME", str(h.dagster_home))
    prepare(h)
    create_key(h)
    return h


@pytest.fixture(scope="session")
def tiny_extracts(tmp_path_factory) -> Path:
    """The tiny synthetic extracts, generated once per session; copy them, never move them."""
    from pipelines.synth import generate

    out = tmp_path_factory.mktemp("tiny")
    generate(scale="tiny", out_dir=out, seed=TINY_SEED)
    return out


def land(home: Home, *files: Path) -> list[Path]:
    """Copy files into the home's landing folder."""
    home.landing.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, home.landing / f.name)) for f in files]
