"""What each page script is told: the API's entry points and the layers it shows.

The scripts start from these entry points and follow what the API publishes: the TileJSON of a
layer gives its tile URL and zooms, the legend gives labels and colours, the collection gives
the extent. No tile URL or style is built here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from maps.pages.i18n import Lang, both
from sensors.indices.limits import PERIODS, limit
from sensors.properties import PROPERTIES

#: Entry points of the map services (maps/app.py) the pages start from. Layers are found
#: through the catalog's links; ``{code}``, ``{commune}``... are filled in by the scripts.
API: dict[str, str] = {
    # The layer catalog: per layer, the URLs of its TileJSON, legend, style and collection.
    "layers": "/layers",
    "items": "/collections/{layer}/items",
    "parcel_at": "/parcels/at",
    "parcel": "/parcels/{commune}/{sheet}/{number}",
    "parcel_planning": "/parcels/{commune}/{sheet}/{number}/planning",
    "stations": "/stations",
    "station": "/stations/{code}",
    "observations": "/stations/{code}/observations",
    "station_aqi": "/stations/{code}/aqi",
    "events": "/events",
    "export": "/maps/parcels/export",
    "wall_figures": "/wall/figures.json",
    # Sign-in (maps/routers/auth.py): who is calling, the sign-in page, sign-out.
    "me": "/auth/me",
    "login": "/login",
    "logout": "/logout",
}

#: Base layers drawn under every page (our own data, never an internet tile server).
BASE_LAYERS = ("provinces", "communes")


def page_config(page: str, lang: Lang, **extra: Any) -> dict[str, Any]:
    """The JSON config handed to ``IocPage.start`` of ``page``."""
    return {
        "page": page,
        "lang": lang,
        "i18n": both(),
        "api": API,
        "base_layers": list(BASE_LAYERS),
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
