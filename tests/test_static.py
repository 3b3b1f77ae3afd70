"""Light pages (issue 15): compressed responses, cache lifetimes, plotly's basic bundle in Vietnamese,
the page's language. Flask's test client; the weight in a real browser is tests/test_browser_weight.py."""
import gzip
import os
import re
import time
from pathlib import Path

import brotli
import pytest

from web.static import PLOTLY_URL, YEAR, CompressedFiles

ROOT = Path(__file__).resolve().parent.parent
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    return {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda data: data}[encoding](response.data)


def page_resources(client) -> list[str]:
    """Every script, style sheet and icon the Dash page names (the grid library by name only)."""
    html = client.get("/").get_data(as_text=True)
    return re.findall(r'(?:src|href|content)="(/[^"]+)"', html)


def test_the_grid_library_is_named_not_loaded_on_every_page(client, auth):
    """assets/lazyGrid.js loads it when a page first shows a grid (a real browser:
    test_browser_weight.py, every grid test)."""
    auth.login("so-khcn")
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r'<script src="[^"]*dash_ag_grid', html)
    bundle = re.search(r'<meta name="cds-grid-bundle" content="(/_dash-component-suites/dash_ag_grid/[^"]+)">', html)
    assert client.get(bundle.group(1)).status_code == 200 and "/assets/lazyGrid.js" in html


def test_a_page_with_a_grid_fetches_the_library_at_once_and_no_page_names_dash_table(client, auth):
    """Preloaded beside Dash's scripts, at low priority (the page's first figures go first), on a page
    whose layout holds a grid, and only there."""
    auth.login("tgv")
    preload = re.compile(r'<link rel="preload" as="script" href="([^"]+)" fetchpriority="low">')
    preloads = {path: preload.findall(client.get(path).get_data(as_text=True))
                for path in ("/", "/nhiem-vu", "/co-quan", "/chi-tieu/chi-tiet", "/tong-hop")}
    assert preloads["/"] == preloads["/chi-tieu/chi-tiet"] == []
    for path in ("/nhiem-vu", "/co-quan", "/tong-hop"):
        bundle, chunk = preloads[path]
        assert re.fullmatch(r"/_dash-component-suites/dash_ag_grid/dash_ag_grid\.v[^/]+\.min\.js", bundle)
        assert chunk == "/_dash-component-suites/dash_ag_grid/async-community.js"
        assert client.get(bundle).status_code == client.get(chunk).status_code == 200
    assert all("dash_table" not in resource for resource in page_resources(client))


def test_the_page_says_it_is_vietnamese(client, auth):
    assert client.get("/login").get_data(as_text=True).count('<html lang="vi">') == 1
    auth.login("so-khcn")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Đang tải…" in html and "Loading..." not in html


def test_every_bundle_is_compressed_and_cached_by_its_version(client, auth):
    auth.login("so-khcn")
    resources = page_resources(client)
    assert any("dash_ag_grid" in url for url in resources) and any(url.startswith("/assets/") for url in resources)
    for url in resources:
        response = client.get(url, headers=BROWSER)
        assert response.status_code == 200, url
        assert response.headers["Content-Encoding"] == "br", url
        assert "Accept-Encoding" in response.headers["Vary"], url
        assert response.headers["Cache-Control"] == f"public, max-age={YEAR}, immutable", url
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and decoded(response) == plain.data, url
    ag_grid = next(url for url in resources if "dash_ag_grid" in url)
    assert len(client.get(ag_grid, headers=BROWSER).data) < 300_000  # 1.3 MB as sent before


def test_gzip_for_a_browser_without_brotli_and_callbacks_compressed_too(client, auth):
    auth.login("so-khcn")
    css = next(url for url in page_resources(client) if "bootstrap" in url)
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and b".btn" in decoded(response)
    page = client.get("/", headers=BROWSER)
    assert page.headers["Content-Encoding"] == "br" and b"_dash-config" in decoded(page)
    layout = client.get("/_dash-layout", headers=BROWSER)
    assert layout.headers["Content-Encoding"] == "br"


def test_unversioned_files_are_revalidated_and_answered_304(client, auth):
    auth.login("so-khcn")
    for url in (PLOTLY_URL, "/_dash-component-suites/dash/dcc/async-graph.js", "/assets/app.css"):
        first = client.get(url, headers=BROWSER)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache", url
        again = client.get(url, headers={**BROWSER, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url


def test_charts_get_plotlys_basic_bundle_in_vietnamese(client, auth):
    auth.login("tgv")
    body = decoded(client.get(PLOTLY_URL, headers=BROWSER))
    vendored = (ROOT / "assets/vendor/plotly-basic.min.js").read_bytes()
    assert body.startswith(vendored) and b"plotly.js (basic - minified) v4.1.1" in body
    assert "Plotly.setPlotConfig({locale: 'vi'})" in body.decode() and "Tải biểu đồ dạng PNG" in body.decode()
    assert len(body) < 1_300_000  # the full bundle is 4.8 MB
    # Not on every page: only dcc.Graph asks for it.
    assert not any("plotly" in url or "vendor" in url for url in page_resources(client))


def test_the_vendored_bundle_is_the_npm_packages_file():
    """assets/vendor/plotly-basic.min.js is package.json's plotly.js-basic-dist-min, byte for byte
    (`make test` runs `npm ci`)."""
    package = ROOT / "node_modules/plotly.js-basic-dist-min/plotly-basic.min.js"
    assert package.read_bytes() == (ROOT / "assets/vendor/plotly-basic.min.js").read_bytes()


@pytest.mark.parametrize("trace", ["scatter", "bar", "pie"])
def test_every_trace_the_app_draws_is_in_the_bundle(trace):
    """layouts draw scatter (lines, markers), bar and pie traces only; a new kind needs a bigger bundle."""
    drawn = set()
    for source in (ROOT / "layouts").glob("*.py"):
        drawn |= {name.lower() for name in re.findall(r"\bgo\.(\w+)\(", source.read_text())} - {"figure"}
    assert drawn == {"scatter", "bar", "pie"}
    assert f'name:"{trace}"'.encode() in (ROOT / "assets/vendor/plotly-basic.min.js").read_bytes()


def test_compressed_copies_unused_for_a_month_are_pruned_and_a_used_one_is_kept(tmp_path):
    files = CompressedFiles(tmp_path / "compressed")
    used, _ = files.get(b"console.log('new bundle');" * 50, "br")
    files.get(b"console.log('old bundle');" * 50, "gzip")
    long_ago = time.time() - 31 * 86400
    for path in (tmp_path / "compressed").iterdir():
        os.utime(path, (long_ago, long_ago))
    assert files.get(b"console.log('new bundle');" * 50, "br")[0] == used  # served: its time refreshed
    assert files.prune() == 1
    assert [p.suffix for p in (tmp_path / "compressed").iterdir()] == [".br"]
    assert brotli.decompress(files.get(b"console.log('new bundle');" * 50, "br")[0]).startswith(b"console.log")
