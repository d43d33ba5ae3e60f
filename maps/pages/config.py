"""What each page script is told: the API's entry points and the page's layers.

The config is made from the page registry and the layer catalog: per layer its id, kind, both
titles and how the page shows it. The scripts start from these and follow what the API
publishes: the catalog (``/layers``) links each layer's TileJSON (tile URL, zooms), legend
(labels, colours) and collection (extent). No tile URL or style is built here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from layers.catalog import CATALOG
from maps.pages.i18n import Lang, both
from sensors.indices.limits import PERIODS, limit
from sensors.properties import PROPERTIES

if TYPE_CHECKING:
    from maps.pages.registry import Page, PageLayer

#: Entry points of the map services (maps/app.py) the pages start from. Layers are found
#: through the catalog's links; ``{code}``, ``{commune}``... are filled in by the scripts.
API: dict[str, str] = {
    # The layer catalog: per layer, the URLs of its TileJSON, legend, style and collection.
    "layers": "/layers",
    "items": "/collections/{layer}/items",
    "parcel_at": "/parcels/at",
    "parcel": "/parcels/{commune}/{sheet}/{number}",
    "parcel_planning": "/parcels/{commune}/{sheet}/{number}/planning",
    "parcel_code": "/parcels/code/{code}",
    "parcel_extract": "/parcels/{commune}/{sheet}/{number}/extract.pdf",
    "stations": "/stations",
    "station": "/stations/{code}",
    "observations": "/stations/{code}/observations",
    "station_aqi": "/stations/{code}/aqi",
    "completeness": "/stations/{code}/completeness",
    "facility": "/facilities/{code}",
    "point_limits": "/stations/{code}/limits",
    "events": "/events",
    # Notifications and reports (environment staff, admins).
    "notify_subscriptions": "/notify/subscriptions",
    "notify_subscription": "/notify/subscriptions/{id}",
    "reports": "/reports",
    "report": "/reports/{id}",
    "export": "/maps/parcels/export",
    "wall_figures": "/wall/figures.json",
    # Sign-in (maps/routers/auth.py): who is calling, the sign-in page, sign-out.
    "me": "/auth/me",
    "login": "/login",
    "logout": "/logout",
}


def layer_config(entry: PageLayer, role: str) -> dict[str, Any] | None:
    """One page layer as its script sees it (None when ``role`` may not see the layer)."""
    layer = CATALOG[entry.layer]
    if not layer.visible_to(role):
        return None
    return {
        **asdict(entry),
        "id": layer.id,
        "kind": layer.kind,
        "title": layer.title,
        "minzoom": layer.minzoom if entry.minzoom is None else entry.minzoom,
    }


def page_config(
    page: Page, lang: Lang, role: str, base: tuple[PageLayer, ...], **extra: Any
) -> dict[str, Any]:
    """The JSON config handed to ``IocPage.start`` of ``page`` for a caller of ``role``."""
    layers = [c for c in (layer_config(e, role) for e in page.layers) if c]
    return {
        "page": page.name,
        "lang": lang,
        "i18n": both(),
        "api": API,
        "base_layers": [c for c in (layer_config(e, role) for e in base) if c],
        "layers": layers,
        "views": [asdict(v) for v in page.views],
        # An anonymous display: its requests carry no credentials (static/ioc.js).
        "anonymous": page.anonymous,
        **extra,
    }


def observed_properties() -> list[dict[str, str]]:
    """The observed properties a station may report (for the time-series parameter list)."""
    return [
        {"kind": p.kind, "code": p.code, "name": p.name, "unit": p.unit}
        for p in PROPERTIES.values()
    ]


def limits_in_force(on: date) -> dict[str, dict[str, dict[str, float]]]:
    """QCVN limits in force on ``on``: kind → parameter → averaging period → limit.

    Air: QCVN 05:2023 (µg/Nm³); water: QCVN 08:2023 (mg/L, on 1 h values). Read from
    ``sensors.indices.limits`` so the line on the chart is the one the alerts use.
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for kind, code in PROPERTIES:
        for period in PERIODS:
            value = limit(kind, code, period, on)
            if value is not None:
                out.setdefault(kind, {}).setdefault(code, {})[period] = value
    return out


def environment_context() -> dict[str, Any]:
    """The environment page's own config: observed properties and today's QCVN limits."""
    return {"properties": observed_properties(), "limits": limits_in_force(date.today())}
