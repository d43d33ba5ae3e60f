"""The pages, declared once: route, template, title, the catalog layers each shows, roles.

One route factory (``maps.pages.add_page_routes``) serves every page from this list through
one Jinja base template; each page's script reads its layers from the config made from this
list and the catalog (``maps.pages.config.page_config``), never from layer ids of its own.
Adding a catalog layer to a page is one :class:`PageLayer` line here: the page draws it with
its published style, names it with its catalog title in the layer switcher and shows its
legend while it is on the map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gis.access.roles import ROLES, Role
from maps.pages.assets import CHART_CSS, CHART_JS
from maps.pages.config import environment_context
from maps.pages.wall import wall_context


@dataclass(frozen=True)
class PageLayer:
    """A catalog layer on a page and how the page shows it."""

    layer: str
    #: The job a page script gives the layer beyond drawing it ("cadastre": parcel look-ups,
    #: "monitoring": station markers, "exceedances": the alert list, "land" and
    #: "commune_units": the base map and commune search). Empty: a plain overlay.
    use: str = ""
    #: On the map when the page opens (otherwise only in the layer switcher).
    shown: bool = True
    #: ``drawn``: the legend lists the values drawn so far, while the layer is on the map;
    #: ``all``: every row, always; ``none``: no legend.
    legend: Literal["drawn", "all", "none"] = "drawn"
    #: Interface-text key (maps.pages.i18n) naming the layer on this page where the page means
    #: something other than the catalog title (e.g. the parcels coloured by land use).
    label: str = ""
    #: Interface-text key of the legend's heading, when it is not the layer's title.
    legend_title: str = ""
    #: CSS class of the layer's legend block (e.g. outlined swatches for a plan).
    legend_class: str = ""
    opacity: float | None = None
    #: Lowest zoom the page draws the layer at (default: the catalog's minzoom).
    minzoom: int | None = None


@dataclass(frozen=True)
class View:
    """One view of a rotating page (the wall): the layers shown and the legends listed."""

    name: str
    #: Interface-text key of the view's name.
    title: str
    layers: tuple[str, ...]
    legends: tuple[str, ...]
    #: ``province``: fit the page's province; ``data``: close in on the first layer's data.
    frame: Literal["province", "data"] = "province"


#: A page's extra config: a FastAPI dependency (it may take query parameters, a connection).
Context = Callable[..., Any]


@dataclass(frozen=True)
class Page:
    """One page: ``templates/<name>.html`` (extending ``base.html``) and ``/static/<name>.js``."""

    name: str
    route: str
    #: Interface-text key of the title (both languages in maps.pages.i18n).
    title: str
    summary: str
    layers: tuple[PageLayer, ...]
    roles: frozenset[Role] = frozenset(ROLES)
    #: Listed in the other pages' navigation bar.
    nav: bool = True
    #: Its requests carry no credentials (a display in a room: public data only).
    anonymous: bool = False
    views: tuple[View, ...] = ()
    context: Context | None = None
    extra_js: tuple[str, ...] = ()
    extra_css: tuple[str, ...] = ()


#: Base layers drawn under every page (our own data, never an internet tile server).
BASE_LAYERS: tuple[PageLayer, ...] = (
    PageLayer("provinces", use="land", legend="none"),
    PageLayer("communes", use="commune_units", legend="none", minzoom=8),
)

PAGES: tuple[Page, ...] = (
    Page(
        "parcels", "/maps/parcels", "parcels_title",
        "Cadastral map page: search and inspect parcels, the planning overlay, export",
        layers=(
            PageLayer("parcels", use="cadastre", label="land_use"),
            PageLayer("planning", shown=False, legend_class="legend-outlined"),
        ),
    ),
    Page(
        "environment", "/maps/environment", "env_title",
        "Environment page: stations by AQI/WQI category, series with QCVN limits, alerts",
        layers=(
            PageLayer("stations", use="monitoring", legend="all"),
            PageLayer("alerts", use="exceedances", legend="all", legend_title="station_state"),
            PageLayer("facilities", legend="none"),
            PageLayer("aqi_surface", shown=False, legend="none", opacity=0.55),
        ),
        context=environment_context, extra_js=(CHART_JS, "/static/notify-panel.js"),
        extra_css=(CHART_CSS, "/static/notify-panel.css"),
    ),
    Page(
        "wall", "/wall", "wall_title",
        "IOC video wall: the province map with rotating views, key figures, live updates",
        layers=(
            PageLayer("aqi_surface", legend="none", opacity=0.5),
            PageLayer("parcels", use="cadastre"),
            PageLayer("stations", use="monitoring", legend="all"),
            PageLayer("alerts", use="exceedances", legend="all", legend_title="station_state"),
            PageLayer("facilities", legend="none"),
        ),
        views=(
            View("aqi", "view_aqi", ("aqi_surface", "stations"), ("stations",)),
            View("landuse", "view_landuse", ("parcels",), ("parcels",), frame="data"),
            View("alerts", "view_alerts", ("alerts", "facilities", "stations"),
                 ("stations", "alerts")),
        ),
        anonymous=True, context=wall_context,
        extra_js=("/static/wall-panel.js",), extra_css=("/static/wall.css",),
    ),
)  # fmt: skip
