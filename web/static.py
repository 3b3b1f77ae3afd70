"""Light pages on slow links (issue 15): compressed responses, cache lifetimes, a small chart library.

- Compression: every response the browser can take compressed is sent as brotli, else gzip
  (flask-compress, at a fast level for pages and callbacks). The static bundles (Dash's component
  suites, /assets/ files, the chart library) are compressed once at the highest level and kept on disk
  by their content's hash (instance/compressed/), shared by every worker and restart: the dash-ag-grid
  bundle goes from 1 307 KB to 284 KB. Files unused for 30 days (an upgrade's old bundles) are
  pruned when the app starts.
- Cache lifetimes: a URL that changes with its content (Dash's fingerprinted component suites,
  `/assets/...?m=<mtime>`) is cached for a year, immutable; any other static file is revalidated
  (`no-cache` with an ETag, answered 304 when unchanged).
- plotly.js: dcc.Graph loads it on the first chart a page draws, from Dash's URL for plotly's full
  bundle (4.8 MB). That URL answers here with plotly's basic bundle (scatter, bar, pie: every trace the
  app draws; assets/vendor/plotly-basic.min.js, the npm package's file) followed by the Vietnamese
  locale (assets/vendor/plotly-locale-vi.js), so pages without a chart never load it and every chart
  speaks Vietnamese. Served from this server, it needs nothing more in the CSP.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import brotli
from dash import Dash
from flask import Flask, Response, request
from flask_compress import Compress

VENDOR = Path(__file__).resolve().parent.parent / "assets" / "vendor"
PLOTLY_PARTS = ("plotly-basic.min.js", "plotly-locale-vi.js")
PLOTLY_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"  # where dcc.Graph asks for it
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")
YEAR = 31_536_000
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml",
                "text/plain", "text/html"}


def encode(data: bytes, algorithm: str) -> bytes:
    """The highest levels: done once per file content, then served from the disk cache."""
    if algorithm == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


class CompressedFiles:
    """Static files compressed once, on disk under the hash of their content. Each use refreshes a
    file's time, so what an upgrade left behind (the old bundles' content) is pruned after `KEEP`."""

    KEEP = timedelta(days=30)

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, data: bytes, algorithm: str) -> tuple[bytes, str]:
        """(compressed bytes, strong ETag for this content and encoding)."""
        digest = hashlib.sha256(data).hexdigest()[:32]
        path = self.folder / f"{digest}.{algorithm}"
        try:
            body = path.read_bytes()
        except FileNotFoundError:  # not yet, or pruned by another worker
            pass
        else:
            try:
                os.utime(path)
            except OSError:  # a file this process may not touch (written by another user): kept longer
                pass
            return body, f"{digest}-{algorithm}"
        compressed = encode(data, algorithm)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder)  # atomic: another worker may write it too
        with os.fdopen(handle, "wb") as out:
            out.write(compressed)
        os.replace(temporary, path)
        return compressed, f"{digest}-{algorithm}"

    def prune(self) -> int:
        """Delete the files unused for `KEEP` (a worker's unfinished temporary file included);
        returns how many went."""
        cutoff = time.time() - self.KEEP.total_seconds()
        removed = 0
        for path in self.folder.glob("*") if self.folder.is_dir() else ():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another worker pruned it first
                continue
        return removed


def accepted_encoding() -> str | None:
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("Accept-Encoding", "").split(",")}
    return next((algorithm for algorithm in ("br", "gzip") if algorithm in accepted), None)


def cache_control(response: Response) -> None:
    """A year for URLs that change with their content, revalidation for the rest."""
    fingerprinted = (request.path.startswith("/_dash-component-suites/") and response.cache_control.max_age == YEAR
                     or request.path.startswith("/assets/") and "m" in request.args
                     or request.path == "/_favicon.ico" and "v" in request.args)
    if fingerprinted:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"


def plotly_bundle() -> bytes:
    return b"\n".join((VENDOR / name).read_bytes() for name in PLOTLY_PARTS)


def init_static(app: Dash) -> None:
    """Register the chart library's route, compression and cache headers on the app's server."""
    server: Flask = app.server
    server.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    server.config.setdefault("COMPRESS_BR_LEVEL", 5)
    server.config.setdefault("COMPRESS_LEVEL", 6)
    Compress(server)
    files = CompressedFiles(Path(server.instance_path) / "compressed")
    files.prune()
    bundle = plotly_bundle()

    # A rule without variables outranks Dash's `<package_name>/<path:...>` for this one URL.
    server.add_url_rule(PLOTLY_URL, "plotly_basic_vi",
                        lambda: Response(bundle, mimetype="application/javascript"))

    def static_delivery(response: Response) -> Response:
        """Runs before flask-compress (registered after it): static files get the precompressed body."""
        if request.method not in ("GET", "HEAD") or not request.path.startswith(STATIC_PREFIXES):
            return response
        if response.status_code == 200:
            cache_control(response)
            algorithm = accepted_encoding()
            response.vary.add("Accept-Encoding")
            if algorithm and response.mimetype in COMPRESSIBLE and "Content-Encoding" not in response.headers:
                response.direct_passthrough = False
                body, etag = files.get(response.get_data(), algorithm)
                response.set_data(body)
                response.headers["Content-Encoding"] = algorithm
                response.set_etag(etag)
                response.make_conditional(request)
        return response

    server.after_request(static_delivery)
