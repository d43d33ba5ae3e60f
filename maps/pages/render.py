"""Rendering a page: one Jinja base template (head, assets, nav, map, CSP nonce) per page.

Every script, stylesheet and font comes from the app itself (``maps.pages.assets``); the page's
template fills the panels of ``base.html``; the map is created by the base template and handed
with the page's config to the page script's ``IocPage.start(map, config)``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from maps.pages.assets import PAGE_CSS, PAGE_JS, VENDOR_CSS, VENDOR_JS
from maps.pages.i18n import Lang, strings
from maps.pages.registry import PAGES, Page

# Centre of Việt Nam's mainland (the page scripts then fit their data).
DEFAULT_CENTER = (16.0, 106.5)
DEFAULT_ZOOM = 6


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The Jinja environment of the pages (autoescaped)."""
    return Environment(
        loader=PackageLoader("maps.pages", "templates"),
        autoescape=select_autoescape(["html"]),
    )


def config_json(config: dict[str, Any]) -> Markup:
    """``config`` as JSON safe inside a ``<script>`` element."""
    # </script> inside a JSON string would end the script element early.
    return Markup(json.dumps(config, ensure_ascii=False).replace("</", "<\\/"))


def render_page(page: Page, lang: Lang, config: dict[str, Any], nonce: str | None) -> str:
    """The complete HTML document of ``page`` in ``lang`` (no CDN, no internet tile server);
    its inline script carries ``nonce``, this response's CSP nonce (``maps.security``)."""
    css = [url for _name, url in VENDOR_CSS] + list(PAGE_CSS) + list(page.extra_css)
    js = [url for _name, url in VENDOR_JS] + list(PAGE_JS) + list(page.extra_js)
    template = templates().get_template(f"{page.name}.html")
    return template.render(
        t=strings(lang),
        lang=lang,
        page=page,
        nav=[p for p in PAGES if p.nav and p.name != page.name],
        css=css,
        js=[*js, f"/static/{page.name}.js"],
        center=list(DEFAULT_CENTER),
        zoom=DEFAULT_ZOOM,
        config=config_json(config),
        # The catalog title of the layer given each job (a panel may be headed by one).
        uses={x["use"]: x["title"][lang] for x in config["layers"] if x["use"]},
        nonce=nonce,
    )
