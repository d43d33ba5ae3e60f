"""OGC API Features (Parts 1, 2 and 3) over the vector layers of the catalog."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from layers.catalog import Layer, get_layer, layers_for
from layers.crs_uri import CRS84, crs_list, parse_crs_uri
from layers.features import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ItemsQuery,
    item,
    items,
)
from maps.deps import ConnDep, RoleDep, StateDep, cancel_on_disconnect, get_principal
from maps.params import (
    MAX_VALUE_CHARS,
    BBoxDep,
    CqlFilter,
    CrsUri,
    DatetimeDep,
    FeatureId,
    LayerId,
    PageKey,
    property_filters,
)
from maps.personal import audit_view

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
]
#: Query parameters of /items that are not property filters.
RESERVED = {"limit", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang",
            "filter-crs", "after", "before", "f"}  # fmt: skip


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


@router.get("/", summary="Landing page")
async def landing(request: Request) -> dict[str, Any]:
    """OGC API landing page."""
    base = _base(request)
    return {
        "title": "ioc-gis",
        "description": "Land and environment layers of the provincial IOC",
        "links": [
            _link(f"{base}/", "self", "application/json", "this document"),
            _link(
                f"{base}/api",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "the API definition",
            ),
            _link(f"{base}/api.html", "service-doc", "text/html", "the API documentation"),
            _link(f"{base}/conformance", "conformance", "application/json"),
            _link(f"{base}/collections", "data", "application/json"),
            _link(
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


def _collection(layer: Layer, base: str) -> dict[str, Any]:
    url = f"{base}/collections/{layer.id}"
    extent: dict[str, Any] = {"spatial": {"bbox": [list(layer.bounds)], "crs": CRS84}}
    if layer.time_property:
        extent["temporal"] = {"interval": [[None, None]]}
    return {
        "id": layer.id,
        "title": layer.title_en,
        "description": f"{layer.title_vi} / {layer.title_en}",
        "itemType": "feature",
        "links": [
            _link(url, "self", "application/json"),
            _link(f"{url}/items", "items", GEOJSON),
            _link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
            _link(f"{base}/tiles/{layer.id}/tilejson.json", "tilejson", "application/json"),
            _link(
                f"{base}/layers/{layer.id}/legend.json", "describedby", "application/json", "legend"
            ),
            _link(f"{base}/layers/{layer.id}/style.json", "stylesheet", "application/json"),
        ],
        "extent": extent,
        "crs": crs_list(),
        "storageCrs": CRS84,
    }


@router.get("/collections", summary="Feature collections")
async def collections(request: Request, role: RoleDep) -> dict[str, Any]:
    """Every vector layer the caller may see, as a collection."""
    base = _base(request)
    return {
        "links": [_link(f"{base}/collections", "self", "application/json")],
        "collections": [_collection(layer, base) for layer in layers_for(role, "vector")],
        "crs": crs_list(),
    }


@router.get("/collections/{cid}", summary="One feature collection")
async def collection(cid: LayerId, request: Request, role: RoleDep) -> dict[str, Any]:
    """One collection's description."""
    return _collection(get_layer(cid, role, "vector"), _base(request))


_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number",
               "datetime": "string", "boolean": "boolean"}  # fmt: skip


@router.get("/collections/{cid}/queryables", summary="Queryable properties")
async def queryables(cid: LayerId, request: Request, role: RoleDep) -> Response:
    """JSON Schema of the properties a filter may use."""
    layer = get_layer(cid, role, "vector")
    props: dict[str, Any] = {"geometry": {"$ref": "https://geojson.org/schema/Geometry.json"}}
    for p in layer.props_for(role):  # a property the role may not see is not queryable
        props[p.name] = {"type": _JSON_TYPES[p.type]}
        if p.type == "datetime":
            props[p.name]["format"] = "date-time"
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_base(request)}/collections/{cid}/queryables",
        "type": "object",
        "title": layer.title_en,
        "properties": props,
    }

    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/schema+json")


def _page_url(request: Request, **changes: Any) -> str:
    params = {k: v for k, v in request.query_params.items() if k not in ("after", "before")}
    params.update({k: str(v) for k, v in changes.items()})
    return f"{_base(request)}{request.url.path}?{urlencode(params)}"


@router.get("/collections/{cid}/items", summary="Features of a collection")
async def collection_items(
    cid: LayerId,
    request: Request,
    conn: ConnDep,
    role: RoleDep,
    state: StateDep,
    box: BBoxDep,
    interval: DatetimeDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    crs: CrsUri = None,
    filter_: CqlFilter = None,
    filter_lang: Annotated[
        Literal["cql2-text", "cql2-json"] | None, Query(alias="filter-lang")
    ] = None,
    filter_crs: Annotated[
        str | None, Query(alias="filter-crs", max_length=MAX_VALUE_CHARS, description="CRS URI")
    ] = None,
    after: PageKey = None,
    before: PageKey = None,
) -> Response:
    """GeoJSON features with keyset paging links (``after``/``before`` feature ids)."""
    layer = get_layer(cid, role, "vector")
    out_crs = parse_crs_uri(crs)
    q = ItemsQuery(
        limit=limit,
        bbox=box.bbox,
        bbox_crs=box.crs,
        crs=out_crs,
        interval=interval,
        after=after,
        before=before,
        filter=filter_,
        filter_lang=filter_lang,
        filter_crs=parse_crs_uri(filter_crs),
        role=role,
        equals=property_filters(request, RESERVED),
    )
    with state.metrics.features_seconds.labels(layer.id).time():
        page = await cancel_on_disconnect(request, conn, items(conn, layer, q))
    if page.personal_ids:  # land users in the page: audited before the response leaves
        await audit_view(
            conn, request, get_principal(request), action="features",
            target=f"collections/{cid}/items", parcel_ids=page.personal_ids,
        )  # fmt: skip
    links = [
        _link(str(request.url), "self", GEOJSON),
        _link(f"{_base(request)}/collections/{cid}", "collection", "application/json"),
    ]
    if page.has_next and page.last is not None:
        links.append(_link(_page_url(request, after=page.last), "next", GEOJSON))
    if page.has_prev and page.first is not None:
        links.append(_link(_page_url(request, before=page.first), "prev", GEOJSON))

    head = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "numberReturned": len(page.features),
        "links": links,
    }
    if page.matched_estimate is not None:
        head["numberMatched"] = page.matched_estimate
    body = (
        json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(page.features) + "]}"
    )
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs.uri}>"})


@router.get("/collections/{cid}/items/{fid}", summary="One feature")
async def collection_item(
    cid: LayerId,
    fid: FeatureId,
    request: Request,
    conn: ConnDep,
    role: RoleDep,
    crs: CrsUri = None,
) -> Response:
    """One feature as GeoJSON."""
    layer = get_layer(cid, role, "vector")
    out_crs = parse_crs_uri(crs)
    text, personal = await item(conn, layer, fid, out_crs, role)
    if personal:
        await audit_view(
            conn, request, get_principal(request), action="feature",
            target=f"collections/{cid}/items/{fid}", parcel_ids=[int(fid)],
        )  # fmt: skip
    base = _base(request)
    links = (
        f'[{{"href":"{base}/collections/{cid}/items/{fid}","rel":"self","type":"{GEOJSON}"}},'
        f'{{"href":"{base}/collections/{cid}","rel":"collection","type":"application/json"}}]'
    )
    return Response(
        text[:-1] + ',"links":' + links + "}",
        media_type=GEOJSON,
        headers={"Content-Crs": f"<{out_crs.uri}>"},
    )
