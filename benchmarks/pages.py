"""Page weight and speed on a slow mobile link (QUALITY.md P5, issue 15).

Starts gunicorn with gunicorn.conf.py (the production settings) against a fresh SQLite database with
the demo, then, in headless Chromium, opens every page of the registry (layouts/pages.py) as each
role that may see it (agency, secretariat, leader, admin), each load in a new browser context (cold
cache, logged in), under the slow mobile profile: 1.6 Mbps down, 750 kbps up, 150 ms latency per
request (Chromium's `Network.emulateNetworkConditions`). Per page and role it prints:

- KB: bytes transferred (compressed, headers included: CDP `encodedDataLength`), and requests;
- numbers: seconds from navigation to the page's first figures on screen (the element NUMBERS names
  for the page shows a digit; a page not named there counts as settled);
- settled: seconds until the page's content is rendered, no Dash callback is pending and no request is
  in flight (every number, grid row and chart drawn, the charts' library loaded); the time is that of
  the last response, not of the check that noticed the quiet.

A first pass loads each page once unthrottled so the server's caches (compressed bundles) are warm,
as they are after the first visitor. Only 127.0.0.1 is contacted.

    .venv/bin/python -m benchmarks.pages [--port 8076] [--roles agency,leader] [--pages /,/tong-hop]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from pathlib import Path

from sqlalchemy import select

from benchmarks.load import gunicorn, load_demo_database
from layouts.pages import PAGES
from models import Database, Indicator
from services.plans.demo import DEMO_ACCOUNT_BY_ROLE, DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The slow mobile profile of issue 15: bytes per second, latency in ms per request.
SLOW_MOBILE = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
               "uploadThroughput": 750_000 / 8}
# The element whose digits are the page's first figures (by page name); the login page has none.
NUMBERS = {
    "home": "#home-sentence",
    "tasks": "#tasks-sentence, #tasks-report, #tasks-count",  # a phone folds the tiles: the period's line first
    "overview": "#overview-sentence",
    "overdue": "#overdue-summary",
    "review": "#review-summary, #review-count",
    "indicators": "#indicators-bands",
    "indicator": "#indicator-values, #indicator-title",
    "plans": "#plans-list",
    "plan-edit": "#plan-edit-count",
    "accounts": "#accounts-count",
    "agencies": "#agencies-count",
    "dti": "#dti-levels",
    "scorecard": "#scorecard-content",
}
QUIET_MS = 600  # no request in flight for this long, after the content rendered: the page is done
PAGE_TIMEOUT = 120  # seconds; a page not settled by then is printed as "inf"


@dataclass
class Load:
    bytes: int
    requests: int
    numbers: float
    settled: float
    uncompressed: list[str] = field(default_factory=list)  # text responses over 1 KB sent as they are
    uncached: list[str] = field(default_factory=list)  # static files without a Cache-Control


TEXT_TYPES = ("javascript", "css", "json", "html", "svg")
STATIC = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")


def example_paths(database_url: str) -> dict[str, str]:
    """A URL for every page (by name); a page about one item (a target) gets the first one."""
    db = Database(database_url)
    try:
        with db.read() as session:
            indicator = session.scalar(select(Indicator.id).order_by(Indicator.id).limit(1))
    finally:
        db.dispose()
    return {page.name: f"{page.path}?ma={indicator}" if page.up else page.path for page in PAGES}


READY_SCRIPT = """() => {
    const content = document.querySelector('#page-content, .login-box');
    return !!content && content.children.length > 0
        && !document.querySelector('[data-dash-is-loading="true"], ._dash-loading');
}"""


NUMBERS_SCRIPT = """selector => Array.from(document.querySelectorAll(selector)).some(e => /\\d/.test(e.innerText))"""


def measure(browser, base: str, path: str, storage_state: dict | None, throttle: bool,
            numbers: str | None = None) -> Load:
    """One cold load of `path` in a new context; bytes and seconds to a settled page."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, storage_state=storage_state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    if throttle:
        cdp.send("Network.emulateNetworkConditions", SLOW_MOBILE)
    in_flight: set[str] = set()
    totals = {"bytes": 0, "requests": 0, "last": time.monotonic()}
    responses: dict[str, tuple[str, dict]] = {}
    load = Load(0, 0, 0.0, 0.0)

    def started(event):
        in_flight.add(event["requestId"])
        totals["requests"] += 1

    def finished(event):
        in_flight.discard(event["requestId"])
        totals["bytes"] += int(event.get("encodedDataLength", 0))
        totals["last"] = time.monotonic()
        url, headers = responses.pop(event["requestId"], (None, {}))
        body = int(headers.get("content-length") or 0)  # flask-compress leaves bodies under 500 bytes
        if url and body > 1024 and any(kind in headers.get("content-type", "") for kind in TEXT_TYPES) \
                and "content-encoding" not in headers:
            load.uncompressed.append(url)
        if url and urlsplit(url).path.startswith(STATIC) and "cache-control" not in headers:
            load.uncached.append(url)

    def received(event):
        response = event["response"]
        responses[event["requestId"]] = (response["url"], {k.lower(): v for k, v in response["headers"].items()})

    def failed(event):
        in_flight.discard(event["requestId"])
        totals["last"] = time.monotonic()

    cdp.on("Network.requestWillBeSent", started)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFailed", failed)
    start = time.monotonic()
    page.goto(f"{base}{path}", wait_until="commit", timeout=PAGE_TIMEOUT * 1000)
    quiet_since = numbers_at = None
    while True:
        page.wait_for_timeout(50)
        now = time.monotonic()
        if numbers and numbers_at is None and page.evaluate(NUMBERS_SCRIPT, numbers):
            numbers_at = now - start
        ready = not in_flight and page.evaluate(READY_SCRIPT)
        if not ready:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif (now - max(quiet_since, totals["last"])) * 1000 >= QUIET_MS:
            break
        if now - start > PAGE_TIMEOUT:  # e.g. a chart whose library took over dcc's 30 s to arrive
            break
    settled = max(quiet_since, totals["last"]) - start if quiet_since is not None else float("inf")
    context.close()
    load.bytes, load.requests, load.settled = totals["bytes"], totals["requests"], settled
    load.numbers = settled if numbers_at is None else numbers_at
    return load


def logged_in_state(browser, base: str, username: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#page-content > *", state="attached", timeout=60000)
    state = context.storage_state()
    context.close()
    return state


def run(base: str, database_url: str, roles: list[str], only: list[str] | None, throttle: bool = True
        ) -> dict[tuple[str, str], Load]:
    from playwright.sync_api import sync_playwright

    paths = example_paths(database_url)
    results: dict[tuple[str, str], Load] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            plan = [("anonymous", "/login", None, None)]
            for role in roles:
                state = logged_in_state(browser, base, DEMO_ACCOUNT_BY_ROLE[role])
                plan += [(role, paths[page.name], state, NUMBERS.get(page.name)) for page in PAGES
                         if role in page.roles]
            plan = [item for item in plan if only is None or item[1].split("?")[0] in only]
            for _role, path, state, _numbers in plan:  # warm the server's caches (compressed bundles)
                measure(browser, base, path, state, throttle=False)
            for role, path, state, numbers in plan:
                results[(role, path)] = measure(browser, base, path, state, throttle, numbers)
        finally:
            browser.close()
    return results


def print_table(results: dict[tuple[str, str], Load]) -> None:
    print(f"{'page':<22} {'role':<12} {'KB':>7} {'req':>4} {'numbers s':>10} {'settled s':>10}")
    for (role, path), load in results.items():
        print(f"{path.split('?')[0]:<22} {role:<12} {load.bytes / 1000:>7.0f} {load.requests:>4} "
              f"{load.numbers:>10.1f} {load.settled:>10.1f}")
    loads = list(results.values())
    print(f"heaviest {max(load.bytes for load in loads) / 1000:.0f} KB (1 KB = 1000 bytes), numbers at most "
          f"{max(load.numbers for load in loads):.1f} s, settled at most {max(load.settled for load in loads):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--roles", default=",".join(DEMO_ACCOUNT_BY_ROLE), help="comma-separated roles")
    parser.add_argument("--pages", help="comma-separated paths (default: every page)")
    parser.add_argument("--fast", action="store_true", help="no network throttling")
    args = parser.parse_args()
    roles = args.roles.split(",")
    with tempfile.TemporaryDirectory(prefix="cds-pages-") as workdir:
        url = f"sqlite:///{Path(workdir) / 'pages.db'}"
        load_demo_database(url)
        with gunicorn(url, Path(workdir) / "gunicorn.log", port=args.port) as base:
            results = run(base, url, roles, args.pages.split(",") if args.pages else None, throttle=not args.fast)
    print_table(results)


if __name__ == "__main__":
    main()
