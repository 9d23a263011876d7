"""The README's dashboard screenshots, taken the way the browser tests open the pages (not collected by pytest).

    .venv/bin/python -m tests.browser.readme_screenshots --home DIR [--out dashboards/screenshots]

Serves the app over a published home (the demo warehouse for the README) and saves, at a 1400 x 1100 window:
overview.png, ics.png (the first ICS scrolled to its sickness absence chart) and ics-mental-health.png (its
mental-health share chart).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.browser.test_dashboard import CHROMIUM, CHROMIUM_ARGS, open_page, serving, settle

VIEWPORT = {"width": 1400, "height": 1100}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="a home folder with a published serving.duckdb")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "dashboards" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with serving(args.home.resolve()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        open_page(page, url, "")
        page.screenshot(path=str(args.out / "overview.png"))
        open_page(page, url, "ics")
        ics_heading = page.get_by_role("heading", level=2).first  # the chosen ICS's name, above its charts
        ics_heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(args.out / "ics.png"))
        page.get_by_role("tab", name="Mental-health share of absence").click()
        settle(page)
        ics_heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(args.out / "ics-mental-health.png"))
        browser.close()
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
