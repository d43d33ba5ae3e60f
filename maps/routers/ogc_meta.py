"""OGC API Features: landing page, conformance, collections (real extents), queryables."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from layers.catalog import Layer, get_layer, layers_for
from layers.crs_uri import CRS84, crs_list
from layers.extents import Extent, ExtentCache
from maps.deps import ConnDep, RoleDep
from maps.params import LayerId
from maps.security import mark_caller_dependent

router = APIRouter(tags=["ogcapi-features"])

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    # CASEI() and ACCENTI() (layers.cql; ACCENTI folds đ/Đ too, migration 0013_qgis)
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    # sortby (defined by OGC API - Records Part 1; QGIS/OWSLib send it the same way)
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]


def base_url(request: Request) -> str:
    """The app's external base URL (no trailing slash)."""
    return str(request.base_url).rstrip("/")


def link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    """An OGC API link object."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


@router.get("/", summary="Landing page")
async def landing(request: Request) -> dict[str, Any]:
    """OGC API landing page."""
    base = base_url(request)
    return {
        "title": "ioc-gis",
        "description": "Land and environment layers of the provincial IOC",
        "links": [
            link(f"{base}/", "self", "application/json", "this document"),
            link(
                f"{base}/api",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "the API definition",
            ),
            link(f"{base}/api.html", "service-doc", "text/html", "the API documentation"),
            link(f"{base}/conformance", "conformance", "application/json"),
            link(f"{base}/collections", "data", "application/json"),
            link(
                f"{base}/layers",
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                "application/json",
                "layer catalog with TileJSON, legends and styles",
            ),
        ],
    }


@router.get("/conformance", summary="Conformance classes")
async def conformance() -> dict[str, list[str]]:
    """The conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


def _instant(value: Any) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _extent(layer: Layer, found: Extent) -> dict[str, Any]:
    # An empty collection has no extent of its own: the catalog's declared bounds stand in.
    bbox = found.bbox or layer.bounds
    extent: dict[str, Any] = {"spatial": {"bbox": [list(bbox)], "crs": CRS84}}
    if layer.time_property:
        extent["temporal"] = {
            "interval": [[_instant(found.start), _instant(found.end)]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return extent


def extent_cache(request: Request) -> ExtentCache:
    """The app's extent cache (made on first use; one per app)."""
    cache: ExtentCache | None = getattr(request.app.state, "extents", None)
    if cache is None:
        cache = ExtentCache()
        request.app.state.extents = cache
    return cache


def _collection(layer: Layer, base: str, found: Extent) -> dict[str, Any]:
    url = f"{base}/collections/{layer.id}"
    extent = _extent(layer, found)
    return {
        "id": layer.id,
        "title": layer.title_en,
        "description": f"{layer.title_vi} / {layer.title_en}",
        "itemType": "feature",
        "links": [
            link(url, "self", "application/json"),
            link(f"{url}/items", "items", GEOJSON),
            link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
            link(f"{base}/tiles/{layer.id}/tilejson.json", "tilejson", "application/json"),
            link(
                f"{base}/layers/{layer.id}/legend.json", "describedby", "application/json", "legend"
            ),
            link(f"{base}/layers/{layer.id}/style.json", "stylesheet", "application/json"),
        ],
        "extent": extent,
        "crs": crs_list(),
        "storageCrs": CRS84,
    }


@router.get("/collections", summary="Feature collections")
async def collections(request: Request, role: RoleDep, conn: ConnDep) -> dict[str, Any]:
    """Every vector layer the caller may see, as a collection."""
    mark_caller_dependent(request)
    base = base_url(request)
    layers = layers_for(role, "vector")
    found = await extent_cache(request).extents(conn, layers)
    return {
        "links": [link(f"{base}/collections", "self", "application/json")],
        "collections": [_collection(layer, base, found[layer.id]) for layer in layers],
        "crs": crs_list(),
    }


@router.get("/collections/{cid}", summary="One feature collection")
async def collection(
    cid: LayerId, request: Request, role: RoleDep, conn: ConnDep
) -> dict[str, Any]:
    """One collection's description."""
    layer = get_layer(cid, role, "vector")
    mark_caller_dependent(request, [layer])
    found = await extent_cache(request).extents(conn, [layer])
    return _collection(layer, base_url(request), found[layer.id])


_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number",
               "datetime": "string", "boolean": "boolean"}  # fmt: skip


@router.get("/collections/{cid}/queryables", summary="Queryable properties")
async def queryables(cid: LayerId, request: Request, role: RoleDep) -> Response:
    """JSON Schema of the properties a filter may use."""
    layer = get_layer(cid, role, "vector")
    mark_caller_dependent(request, [layer])
    props: dict[str, Any] = {"geometry": {"$ref": "https://geojson.org/schema/Geometry.json"}}
    for p in layer.props_for(role):  # a property the role may not see is not queryable
        props[p.name] = {"type": _JSON_TYPES[p.type]}
        if p.type == "datetime":
            props[p.name]["format"] = "date-time"
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url(request)}/collections/{cid}/queryables",
        "type": "object",
        "title": layer.title_en,
        "properties": props,
    }

    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/schema+json")


def share_limit_parameter(schema: dict[str, Any]) -> None:
    """Declare the items' ``limit`` once, as ``#/components/parameters/limit``, in ``schema``.

    QGIS's OAPIF provider reads a server's page size (``maximum``, ``default``) only there
    (src/providers/wfs/oapif/qgsoapifapirequest.cpp); declared inline, QGIS pages by its own
    small default and loading a commune takes dozens of requests.
    """
    shared: dict[str, Any] | None = None
    for path, operations in schema.get("paths", {}).items():
        if not (path.startswith("/collections/") and path.endswith("/items")):
            continue
        params = operations.get("get", {}).get("parameters", [])
        for i, param in enumerate(params):
            if param.get("name") == "limit" and param.get("in") == "query":
                shared = shared or {**param, "style": "form", "explode": False}
                params[i] = {"$ref": "#/components/parameters/limit"}
    if shared is not None:
        schema.setdefault("components", {}).setdefault("parameters", {})["limit"] = shared
