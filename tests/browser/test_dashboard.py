"""The dashboard served by Streamlit and driven in headless Chromium (Debian's /usr/bin/chromium).

Every page loads with no exception and no console error and passes an axe-core scan with no serious or
critical violation; a reader can choose a basis, an ICS (an abolished one too) and an organisation with the
keyboard; a publish while the page is open shows after a refresh. Screenshots of every page are kept in the
pytest temporary folder (the path is printed).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import duckdb
import pytest

from dashboards.launch import streamlit_command, working_directory
from pipelines.settings import Home

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# page path -> text drawn last by its script (the overview is the app's default page, at the root)
PAGES = {"": "Download bri component ranks (CSV)", "ics": "Download bri components for",
         "alerts": "What changed since the previous publish", "quality": "Download definitions of"}
TITLES = {"ics": "ICS", "alerts": "Alerts", "quality": "Data & quality"}
TIMEOUT_MS = 90_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(published_tiny, tmp_path_factory) -> Home:
    """A private copy of the published tiny home: one test publishes into it."""
    target = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(published_tiny.root, target)
    return Home(target)


@contextmanager
def serving(home_root: Path) -> Iterator[str]:
    """`wellbeing dashboard`'s Streamlit command on a free loopback port over `home_root`; yields its URL."""
    port = _free_port()
    env = {**os.environ, "WELLBEING_HOME": str(home_root)}
    env.pop("WELLBEING_SERVING_DB", None)
    process = subprocess.Popen(streamlit_command(port), cwd=working_directory(), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(home):
    with serving(home.root) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is not installed (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh tab that records page exceptions and console errors."""
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.errors = []
    tab.on("pageerror", lambda e: tab.errors.append(f"page error: {e}"))
    tab.on("console", lambda m: tab.errors.append(f"console {m.type}: {m.text} {m.location}") if m.type == "error" else None)
    tab.on("response", lambda r: tab.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard-screenshots")
    print(f"dashboard screenshots: {folder}")
    return folder


def open_page(page, url: str, path: str) -> None:
    """Open the app at its root and follow the navigation link, as a reader does."""
    page.goto(url, wait_until="domcontentloaded")
    if path:
        page.get_by_role("link", name=TITLES[path], exact=True).first.click()
    page.get_by_text(PAGES[path]).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    settle(page)


def settle(page) -> None:
    """Wait until Streamlit has finished running the script (its status widget goes away)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)


def publish_id(page) -> str:
    caption = page.get_by_text("Published snapshot").first.inner_text()
    return caption.split("Published snapshot ", 1)[1].split(" ", 1)[0]


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_loads_cleanly_and_passes_an_accessibility_scan(server, page, path, screenshots):
    from axe_playwright_python.sync_playwright import Axe

    open_page(page, server, path)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("button", name="Deploy").count() == 0, "no developer chrome"
    # a page's tables may render a moment after its heading, on a busy machine
    page.locator("table").first.wait_for(state="attached", timeout=TIMEOUT_MS)  # tables are real HTML tables
    assert page.get_by_role("button", name="Download").count() + page.get_by_text("(CSV)").count() >= 1
    page.screenshot(path=str(screenshots / f"{path or 'overview'}.png"), full_page=True)
    results = Axe().run(page, options={"resultTypes": ["violations"],
                                       "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    serious = [f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes'][:3]]}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    assert not page.errors, page.errors
    assert (screenshots / f"{path or 'overview'}.png").stat().st_size > 20_000


def choose(page, label: str, option_text: str) -> None:
    """Pick an option of a Streamlit selectbox with the keyboard: focus it, type, Enter."""
    box = page.get_by_role("combobox", name=label).first
    box.focus()
    page.keyboard.type(option_text)
    page.get_by_role("option", name=option_text).first.wait_for(timeout=TIMEOUT_MS)
    page.keyboard.press("Enter")
    settle(page)


def test_a_reader_chooses_basis_abolished_ics_and_organisation_by_keyboard(server, page, home, screenshots):
    with duckdb.connect(str(home.serving_db), read_only=True) as con:
        code, name = con.execute("""select icb_code, icb_name from marts.dim_ics where valid_to is not null
                                    and icb_code in (select icb_code from marts.ics_sickness_monthly
                                                     where boundary_basis = 'as_at') order by 1 limit 1""").fetchone()
        # an organisation of its last month (the month the ICS page opens on)
        org_code, org_name = con.execute("""select org_code, org_name from marts.org_sickness_monthly
                                           where icb_code = $code and period_month = (
                                               select max(period_month) from marts.org_sickness_monthly
                                               where icb_code = $code)
                                           order by org_code desc limit 1""", {"code": code}).fetchone()
    open_page(page, server, "ics")
    radio = page.get_by_role("radio", name="Boundaries at the time").first
    radio.focus()
    page.keyboard.press("Space")
    settle(page)
    assert radio.is_checked()
    choose(page, "ICS", f"{name} ({code})")
    page.get_by_role("heading", name=f"{name} ({code})").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(f"{name} was abolished").first.wait_for(timeout=TIMEOUT_MS)
    choose(page, "Organisation", f"{org_name} ({org_code})")
    page.get_by_text(f"{org_name} ({org_code}): ").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(screenshots / "ics-abolished.png"), full_page=True)
    assert not page.errors, page.errors


def test_a_publish_while_the_page_is_open_shows_after_a_refresh(server, page, home):
    from expectations.contract import load_manifest, mart_contracts
    from pipelines.project import dbt_project
    from pipelines.publish import publish

    open_page(page, server, "")
    before = publish_id(page)
    # a real publish of the home's audited build (the last step of `wellbeing run`), while the tab is open
    contracts = mart_contracts(load_manifest(dbt_project.manifest_path))
    with closing(duckdb.connect(str(home.build_db))) as con:
        published = publish(con, home, "browser-test-run", list(contracts.values()), [], {})
    assert published.publish_id != before
    page.reload(wait_until="domcontentloaded")
    page.get_by_text(f"Published snapshot {published.publish_id}").first.wait_for(timeout=TIMEOUT_MS)
    open_page(page, server, "alerts")
    page.get_by_text(f"Publish {published.publish_id}").first.wait_for(timeout=TIMEOUT_MS)
    assert not page.errors, page.errors
