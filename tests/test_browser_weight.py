"""Page weight in a real browser (issue 15): every page's first load, cold cache, under 1 MB
transferred, every text response compressed and every static file with a Cache-Control. Headless
Chromium counts the bytes (benchmarks/pages.py measures them, and the time on the slow mobile profile,
against gunicorn)."""
import pytest

from benchmarks.pages import NUMBERS, example_paths, logged_in_state, measure
from layouts.pages import PAGES
from services.plans.demo import DEMO_ACCOUNT_BY_ROLE

pytestmark = pytest.mark.browser

LIMIT = 1_000_000  # bytes on the wire, headers included


def cases():
    yield pytest.param("/login", None, None, id="login")
    for registered in PAGES:
        for role in ("agency", "secretariat"):
            if role in registered.roles:
                yield pytest.param(registered, role, NUMBERS.get(registered.name), id=f"{registered.name}-{role}")


@pytest.fixture(scope="module")
def states(module_browser, module_live_server):
    base, _db = module_live_server
    return {role: logged_in_state(module_browser, base, DEMO_ACCOUNT_BY_ROLE[role])
            for role in ("agency", "secretariat")}


@pytest.mark.parametrize("registered, role, numbers", list(cases()))
def test_first_load_is_under_1_mb_compressed_and_cacheable(module_browser, module_live_server, states,
                                                            registered, role, numbers):
    base, db = module_live_server
    path = registered if isinstance(registered, str) else example_paths(db.url)[registered.name]
    load = measure(module_browser, base, path, states.get(role), throttle=False, numbers=numbers)
    assert load.settled != float("inf"), f"{path} did not settle"
    assert load.uncompressed == [] and load.uncached == []
    assert load.bytes < LIMIT, f"{path} ({role}): {load.bytes} bytes in {load.requests} requests"
