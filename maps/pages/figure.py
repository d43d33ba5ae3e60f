"""A folium map page whose every script, stylesheet and font comes from the app itself.

folium builds the document and the Leaflet map; our page script (``/static/<page>.js``) then
reads what the API publishes (TileJSON, legends, collections, events) and adds the layers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.template import Template

from maps.pages.assets import VENDOR_CSS, VENDOR_JS
from maps.pages.i18n import Lang
from maps.security import add_nonce

# Centre of Việt Nam's mainland (used when a page has no better view).
DEFAULT_CENTER = (16.0, 106.5)


class PageFigure(Figure):
    """A branca Figure with a language attribute and a body class for the page's CSS."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n"
        "<title>{{ this.title }}</title>\n"
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        '<body class="ioc {{ this.body_class }}">\n'
        "{{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>\n"
        "{{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</html>\n"
    )

    def __init__(self, *, title: str, lang: Lang, body_class: str) -> None:
        super().__init__(title=title)
        self.lang = lang
        self.body_class = body_class


class PageStart(MacroElement):
    """Calls the page script's ``start(map, config)`` once folium has created the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.IocPage.start({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PageStart"
        # </script> inside a JSON string would end the script element early.
        self.config_json = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")


@dataclass
class PageSpec:
    """What one page needs: its script, panels (HTML), config for the script and the view."""

    name: str
    title: str
    lang: Lang
    body_html: str
    config: dict[str, Any]
    center: tuple[float, float] = DEFAULT_CENTER
    zoom: int = 6
    extra_js: list[str] = field(default_factory=list)
    extra_css: list[str] = field(default_factory=list)


def render_page(spec: PageSpec) -> str:
    """Render ``spec`` as a complete HTML document (no CDN, no internet tile server)."""
    figure = PageFigure(title=spec.title, lang=spec.lang, body_class=f"page-{spec.name}")
    figure.header.add_child(
        Element('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        name="viewport",
    )
    figure.header.add_child(
        Element('<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">'), name="icon"
    )
    fmap = folium.Map(
        location=list(spec.center),
        zoom_start=spec.zoom,
        tiles=None,  # the base map is drawn from our own layers by the page script
        control_scale=True,
        prefer_canvas=True,
        zoom_control="bottomright",
        attribution_control=False,
    )
    # Instance attributes, so folium's class-level CDN lists are left untouched.
    fmap.default_js = list(VENDOR_JS)
    fmap.default_css = list(VENDOR_CSS)
    # Vendor links first, under the names folium's Map uses, so that its own render (which
    # re-adds them) keeps this order: libraries before the page scripts that use them.
    for name, url in fmap.default_css:
        figure.header.add_child(CssLink(url), name=name)
    for i, url in enumerate(["/static/ioc.css", *spec.extra_css]):
        figure.header.add_child(CssLink(url), name=f"page_css_{i}")
    for name, url in fmap.default_js:
        figure.header.add_child(JavascriptLink(url), name=name)
    page_js = ["/static/ioc.js", "/static/ioc-layers.js", *spec.extra_js, f"/static/{spec.name}.js"]
    for i, url in enumerate(page_js):
        figure.header.add_child(JavascriptLink(url), name=f"page_js_{i}")
    figure.html.add_child(Element(spec.body_html), name="panels")
    figure.add_child(fmap)
    fmap.add_child(PageStart(spec.config))
    # Our inline <script>/<style> elements carry this response's CSP nonce (maps.security).
    return add_nonce(figure.render())
