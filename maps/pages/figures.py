"""Key figures of the wall that no map layer carries: parcels by land-use group in a province.

Computed from the data layer's per-commune summaries (``gis.parcels.queries``) and kept for a
minute, so a wall (or ten) refreshing on every parcel event costs the database little.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from gis import admin
from gis.db import connect
from gis.errors import NotFound
from gis.parcels.queries import land_use_summary

#: Seconds a province's figures are reused before being recomputed.
TTL_S = 60.0
GROUPS = ("agricultural", "non_agricultural", "unused")

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def province_land_use(code: str) -> dict[str, Any]:
    """Parcels and area by land-use group over the communes of province ``code``."""
    province = admin.get_province(code)
    counts: dict[str, int] = dict.fromkeys(GROUPS, 0)
    areas: dict[str, float] = dict.fromkeys(GROUPS, 0.0)
    communes_with_parcels = 0
    with connect() as conn:
        for commune in admin.list_communes(code):
            try:
                summary = land_use_summary(commune.code, conn=conn)
            except NotFound:  # a commune with no parcels registered yet
                continue
            communes_with_parcels += 1
            for g in summary.groups:
                counts[g.group] = counts.get(g.group, 0) + g.parcels
                areas[g.group] = areas.get(g.group, 0.0) + g.area_m2
    return {
        "province": {"code": province.code, "name": province.name, "name_en": province.name_en},
        "communes_with_parcels": communes_with_parcels,
        "parcels_by_group": [
            {"group": g, "count": counts[g], "area_m2": round(areas[g], 1)} for g in counts
        ],
    }


def cached_province_land_use(code: str, *, now: float | None = None) -> dict[str, Any]:
    """:func:`province_land_use`, reused for :data:`TTL_S` seconds."""
    now = time.monotonic() if now is None else now
    with _lock:
        hit = _cache.get(code)
        if hit and now - hit[0] < TTL_S:
            return hit[1]
    figures = province_land_use(code)
    with _lock:
        _cache[code] = (now, figures)
    return figures


def forget() -> None:
    """Drop every cached figure (after parcels changed)."""
    with _lock:
        _cache.clear()
