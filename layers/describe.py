"""What a layer publishes about itself: TileJSON, legend, MapLibre style (and the Leaflet
style the pages read, under the style's ``metadata.folium`` key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from gis.access.roles import PUBLIC
from layers.catalog import Layer
from layers.styles import LegendEntry, folium_style

Labels = dict[str, tuple[str, str]]


async def lookup_labels(conn: psycopg.AsyncConnection, table: str | None) -> Labels:
    """Labels (vi, en) of coded values read from the data layer (e.g. land-use codes)."""
    if table != "land_use_codes":
        return {}
    cur = await conn.execute(
        "SELECT code, name_vi, name_en FROM land.land_use_codes ORDER BY sort_order, code"
    )
    return {code: (vi, en) for code, vi, en in await cur.fetchall()}


def legend_entries(layer: Layer, labels: Labels | None = None) -> list[LegendEntry]:
    """The legend rows of ``layer`` with looked-up labels (codes absent from the lookup are
    dropped when one was given, so the legend lists only codes the data layer knows)."""
    entries = list(layer.paint.entries)
    if not labels:
        return entries
    out = []
    for e in entries:
        if e.value in labels:
            vi, en = labels[e.value]
            out.append(LegendEntry(e.value, f"{e.value} – {vi}", f"{e.value} – {en}", e.color))
    return out


def legend(layer: Layer, labels: Labels | None = None) -> dict[str, Any]:
    """The legend of ``layer`` as JSON: title (vi/en), the property coloured by, rows."""
    return {
        "layer": layer.id,
        "title": layer.title,
        "kind": layer.paint.kind,
        "property": layer.paint.by,
        "default_color": layer.paint.color,
        "entries": [
            {"value": e.value, "label": {"vi": e.label_vi, "en": e.label_en}, "color": e.color}
            for e in legend_entries(layer, labels)
        ],
    }


def tilejson(layers: Sequence[Layer], tiles_url: str, role: str = PUBLIC) -> dict[str, Any]:
    """TileJSON 3.0.0 for one or several vector layers served as one tile, with the fields
    ``role`` sees."""
    west = min(layer.bounds[0] for layer in layers)
    south = min(layer.bounds[1] for layer in layers)
    east = max(layer.bounds[2] for layer in layers)
    north = max(layer.bounds[3] for layer in layers)
    return {
        "tilejson": "3.0.0",
        "name": ",".join(layer.id for layer in layers),
        "description": "; ".join(layer.title_en for layer in layers),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": min(layer.minzoom for layer in layers),
        "maxzoom": max(layer.maxzoom for layer in layers),
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, max(layer.minzoom for layer in layers)],
        "vector_layers": [
            {
                "id": layer.id,
                "description": layer.title_en,
                "minzoom": layer.minzoom,
                "maxzoom": layer.maxzoom,
                "fields": {p.name: p.type for p in layer.props_for(role)},
            }
            for layer in layers
            if layer.kind == "vector"
        ],
    }


def raster_tilejson(layer: Layer, tiles_url: str) -> dict[str, Any]:
    """TileJSON for a raster layer (PNG tiles)."""
    doc = tilejson([layer], tiles_url)
    doc.pop("vector_layers")
    return doc


def label_arrays(expr: Any) -> Any:
    """A ``match`` expression with every label as a one-value array (``["LUC"]``).

    Both forms are valid MapLibre; QGIS's style converter (QgsMapBoxGlStyleConverter, 3.22)
    reads bare string labels as an empty list and draws every feature in the fallback grey.
    """
    if not (isinstance(expr, list) and len(expr) > 3 and expr[0] == "match"):
        return expr
    out = list(expr[:2])
    for label, value in zip(expr[2:-1:2], expr[3:-1:2], strict=True):
        out += [label if isinstance(label, list) else [label], value]
    return [*out, expr[-1]]


def _paint(layer: Layer) -> tuple[str, dict[str, Any]]:
    from layers.styles import color_expression

    p = layer.paint
    color = label_arrays(color_expression(p))
    if p.kind == "fill":
        return "fill", {
            "fill-color": color,
            "fill-opacity": p.opacity,
            "fill-outline-color": p.outline,
        }
    if p.kind == "line":
        return "line", {"line-color": color, "line-width": p.width}
    if p.kind == "circle":
        return "circle", {
            "circle-color": color,
            "circle-radius": p.radius,
            "circle-stroke-color": p.outline,
            "circle-stroke-width": 1.5,
            "circle-opacity": p.opacity,
        }
    return "raster", {"raster-opacity": p.opacity}


def maplibre_style(layer: Layer, tilejson_url: str) -> dict[str, Any]:
    """A MapLibre style document (version 8) drawing ``layer`` from its TileJSON."""
    kind, paint = _paint(layer)
    source: dict[str, Any] = {
        "type": "vector" if layer.kind == "vector" else "raster",
        "url": tilejson_url,
    }
    if layer.kind == "raster":
        source["tileSize"] = 256
    style_layer: dict[str, Any] = {
        "id": layer.id,
        "type": kind,
        "source": layer.id,
        "paint": paint,
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom + 1,
    }
    if layer.kind == "vector":
        style_layer["source-layer"] = layer.id
    return {
        "version": 8,
        "name": layer.title_en,
        "metadata": {"title": layer.title, "folium": folium_style(layer.paint)},
        "sources": {layer.id: source},
        "layers": [style_layer],
    }
