"""Vector tiles, TileJSON, legends and styles of the catalog's layers."""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request, Response

from layers.catalog import Layer, get_layer, layers_for
from layers.describe import legend, lookup_labels, maplibre_style, raster_tilejson, tilejson
from maps.deps import ConnDep, PrincipalDep, RoleDep, StateDep
from maps.params import LayerId, LayerNames, TileX, TileY, Zoom, layer_names
from maps.security import mark_caller_dependent
from maps.tileservice import get_tile

router = APIRouter(tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"


def _vector_layers(names: str, role: str) -> list[Layer]:
    return [get_layer(name, role, kind="vector") for name in layer_names(names)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/tiles/{names}/{z}/{x}/{y}.mvt", summary="Vector tile of one or several layers")
async def tile(
    names: LayerNames,
    z: Zoom,
    x: TileX,
    y: TileY,
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
) -> Response:
    """An MVT tile (gzip when accepted, ETag/304, ``X-Tile-Cut`` when a layer was capped)."""
    layers = _vector_layers(names, principal.role)
    mark_caller_dependent(request, layers)  # no-store where roles see different properties
    cached, hit = await get_tile(state, request, layers, z, x, y, principal)
    headers = {
        "ETag": cached.etag,
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
        "X-Cache": "hit" if hit else "miss",
    }
    if cached.cut:
        headers["X-Tile-Cut"] = ",".join(cached.cut)
    if cached.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(cached.gzipped, media_type=MVT, headers=headers)
    return Response(gzip.decompress(cached.gzipped), media_type=MVT, headers=headers)


@router.get("/tiles/{names}/tilejson.json", summary="TileJSON of one or several layers")
async def tile_json(names: LayerNames, request: Request, role: RoleDep) -> dict[str, object]:
    """TileJSON 3.0.0; its ``tiles`` URL is the one pages must use."""
    first = get_layer(names.split(",")[0], role)
    if first.kind == "raster":
        return raster_tilejson(first, f"{_base(request)}/raster/{first.id}/{{z}}/{{x}}/{{y}}.png")
    layers = _vector_layers(names, role)
    mark_caller_dependent(request, layers)
    url = f"{_base(request)}/tiles/{','.join(x.id for x in layers)}/{{z}}/{{x}}/{{y}}.mvt"
    return tilejson(layers, url, role)


def _links(layer: Layer, base: str) -> dict[str, str]:
    links = {
        "tilejson": f"{base}/tiles/{layer.id}/tilejson.json",
        "legend": f"{base}/layers/{layer.id}/legend.json",
        "style": f"{base}/layers/{layer.id}/style.json",
    }
    if layer.kind == "vector":
        links["tiles"] = f"{base}/tiles/{layer.id}/{{z}}/{{x}}/{{y}}.mvt"
        links["collection"] = f"{base}/collections/{layer.id}"
    else:
        links["tiles"] = f"{base}/raster/{layer.id}/{{z}}/{{x}}/{{y}}.png"
        links["point"] = f"{base}/raster/{layer.id}/point"
    return links


@router.get("/layers", summary="The layer catalog")
async def catalog(request: Request, role: RoleDep) -> dict[str, object]:
    """Every layer the caller may see, with titles, zooms and the URLs that serve it."""
    mark_caller_dependent(request)
    base = _base(request)
    return {
        "layers": [
            {
                "id": layer.id,
                "title": layer.title,
                "kind": layer.kind,
                "minzoom": layer.minzoom,
                "maxzoom": layer.maxzoom,
                "time_property": layer.time_property,
                "properties": [p.name for p in layer.props_for(role)],
                "description": layer.description,
                "links": _links(layer, base),
            }
            for layer in layers_for(role)
        ]
    }


@router.get("/layers/{name}/legend.json", summary="Legend of a layer (labels vi/en, colours)")
async def layer_legend(name: LayerId, role: RoleDep, conn: ConnDep) -> dict[str, object]:
    """The legend of one layer."""
    layer = get_layer(name, role)
    return legend(layer, await lookup_labels(conn, layer.paint.labels_from))


@router.get("/layers/{name}/style.json", summary="MapLibre style of a layer")
async def layer_style(name: LayerId, request: Request, role: RoleDep) -> dict[str, object]:
    """A MapLibre style (version 8) for one layer; ``metadata.folium`` has the folium style."""
    layer = get_layer(name, role)
    return maplibre_style(layer, f"{_base(request)}/tiles/{layer.id}/tilejson.json")
