"""Take the README screenshot (docs/screenshot.png) of a running isotrack.

Start the demo first (``make run``), then::

    .venv/bin/python scripts/screenshot.py                      # the worklist
    .venv/bin/python scripts/screenshot.py --patient DEMO-0012  # a patient page

It logs in as the demo clinician with headless Debian chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="clinician")
    parser.add_argument("--password", default="isotrack-demo-1")
    parser.add_argument("--patient", help="MRN of the patient whose page to show")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(f"{args.url}/accounts/login/")
        page.get_by_label("Username").fill(args.username)
        page.get_by_label("Password").fill(args.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("networkidle")
        if args.patient:
            page.goto(f"{args.url}/patients/?q={args.patient}")
            page.locator("table a").first.click()
            page.wait_for_load_state("networkidle")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output))
        browser.close()
    print(f"Saved {args.output}")


if __name__ == "__main__":
    main()
