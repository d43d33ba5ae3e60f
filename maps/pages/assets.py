"""Static assets of the pages: our own CSS/JS and the npm packages, served by the app itself.

A provincial operations centre often runs on a closed network, so no page may load a script,
stylesheet or font from a CDN: the npm packages installed by the setup (``node_modules``) are
served under ``/vendor/<package>/`` and our own files under ``/static/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = PACKAGE_DIR.parent
NODE_MODULES = REPO_DIR / "node_modules"
STATIC_DIR = PACKAGE_DIR / "static"

# URL prefix under /vendor → directory inside node_modules. Only what the pages use is exposed
# (never the whole node_modules tree, which also holds the test driver).
VENDOR_DIRS: dict[str, str] = {
    "leaflet": "leaflet/dist",
    "leaflet.vectorgrid": "leaflet.vectorgrid/dist",
    "uplot": "uplot/dist",
    "fonts/be-vietnam-pro": "@fontsource/be-vietnam-pro",
    "swagger-ui": "swagger-ui-dist",  # the API documentation page, /api.html
}

# Every script and stylesheet of a page, in load order: libraries, then ours (tests check that
# no request leaves the server).
VENDOR_JS: list[tuple[str, str]] = [
    ("leaflet", "/vendor/leaflet/leaflet.js"),
    ("leaflet_vectorgrid", "/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
]
VENDOR_CSS: list[tuple[str, str]] = [
    ("leaflet_css", "/vendor/leaflet/leaflet.css"),
    ("font_400", "/vendor/fonts/be-vietnam-pro/400.css"),
    ("font_600", "/vendor/fonts/be-vietnam-pro/600.css"),
    ("font_700", "/vendor/fonts/be-vietnam-pro/700.css"),
]
#: Our own files every page loads after the libraries (then its own ``/static/<page>.js``).
PAGE_CSS = ("/static/ioc.css",)
PAGE_JS = ("/static/ioc.js", "/static/ioc-layers.js")
CHART_JS = "/vendor/uplot/uPlot.iife.min.js"
CHART_CSS = "/vendor/uplot/uPlot.min.css"


def missing_vendor_dirs() -> list[str]:
    """The vendor directories that are not installed (``npm install`` not run yet)."""
    return [rel for rel in VENDOR_DIRS.values() if not (NODE_MODULES / rel).is_dir()]


def add_asset_routes(router: APIRouter) -> None:
    """Mount ``/static`` (our files) and ``/vendor/<package>`` (npm packages) on ``router``."""
    router.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    for prefix, rel in VENDOR_DIRS.items():
        # check_dir=False: the app still starts before `npm install`; the files answer 404.
        app = StaticFiles(directory=NODE_MODULES / rel, check_dir=False)
        router.mount(f"/vendor/{prefix}", app, name=f"vendor:{prefix}")
