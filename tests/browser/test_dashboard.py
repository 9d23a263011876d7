"""The dashboard as a reader sees it: AppTest for the script, headless Chromium for the served page."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT

APP = REPO_ROOT / "dashboards" / "app.py"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def published(published_tiny):
    return published_tiny


def test_app_shows_every_ics_of_the_latest_month(published, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WELLBEING_HOME", str(published.root))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    import duckdb
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        icss = con.execute("""select count(*) from marts.ics_sickness_monthly where boundary_basis = 'current'
                              and period_month = (select max(period_month) from marts.ics_sickness_monthly)""").fetchone()[0]
    assert at.metric[0].value == str(icss)
    assert at.dataframe[0].value.shape[0] == icss


def test_app_says_when_nothing_is_published(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WELLBEING_HOME", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and "Nothing has been published yet" in at.warning[0].value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_served_page_renders_chart_and_table_in_chromium(published, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "WELLBEING_HOME": str(published.root)}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
                               "--server.address", "127.0.0.1", "--server.port", str(port),
                               "--browser.gatherUsageStats", "false"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.get_by_text("Staff wellbeing by Integrated Care System").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
            page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            browser.close()
        assert not errors
        assert (tmp_path / "dashboard.png").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=20)
