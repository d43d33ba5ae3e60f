"""OGC API Features (Parts 1, 2 and 3) over the vector layers of the catalog."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from layers.catalog import get_layer
from layers.crs_uri import parse_crs_uri
from layers.features import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ItemsQuery,
    item,
    items,
    parse_sortby,
)
from layers.geojson import crs_member
from maps.deps import (
    ReadConnDep,
    RoleDep,
    StateDep,
    cancel_on_disconnect,
    get_principal,
)
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
from maps.replicas import on_primary
from maps.routers import ogc_meta
from maps.routers.ogc_meta import GEOJSON, base_url, link
from maps.security import mark_caller_dependent

router = APIRouter(tags=["ogcapi-features"])
router.include_router(ogc_meta.router)

#: Query parameters of /items that are not property filters.
RESERVED = {"limit", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang",
            "filter-crs", "after", "before", "f", "sortby", "offset"}  # fmt: skip
#: Deepest ``offset`` of sorted pages (keyset paging has no such bound; sorted pages are for
#: lists a person reads, not bulk downloads).
MAX_OFFSET = 1_000_000
SortBy = Annotated[
    str | None,
    Query(
        max_length=MAX_VALUE_CHARS,
        pattern=r"^[+-]?[A-Za-z_][A-Za-z0-9_]*( *, *[+-]?[A-Za-z_][A-Za-z0-9_]*)*$",
        description="sort keys: `[+|-]property`, comma-separated (`-` descending); such pages"
        " go by `offset` (next/prev links), not `after`/`before`",
    ),
]


def _page_url(request: Request, **changes: Any) -> str:
    drop = ("after", "before", "offset")
    params = {k: v for k, v in request.query_params.items() if k not in drop}
    params.update({k: str(v) for k, v in changes.items()})
    return f"{base_url(request)}{request.url.path}?{urlencode(params)}"


@router.get("/collections/{cid}/items", summary="Features of a collection")
async def collection_items(
    cid: LayerId,
    request: Request,
    conn: ReadConnDep,
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
    sortby: SortBy = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="sorted pages")] = 0,
) -> Response:
    """GeoJSON features with keyset paging links (``after``/``before`` feature ids)."""
    layer = get_layer(cid, role, "vector")
    mark_caller_dependent(request, [layer])
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
        sortby=parse_sortby(sortby),
        offset=offset,
    )
    with state.metrics.features_seconds.labels(layer.id).time():
        page = await cancel_on_disconnect(request, conn, items(conn, layer, q))
    if page.personal_ids:  # land users in the page: audited before the response leaves
        async with on_primary(state, conn, role) as primary:
            await audit_view(primary, request, get_principal(request), action="features",
                             target=f"collections/{cid}/items", parcel_ids=page.personal_ids)
    links = [
        link(str(request.url), "self", GEOJSON),
        link(f"{base_url(request)}/collections/{cid}", "collection", "application/json"),
    ]
    if q.sortby:  # sorted: pages by offset
        if page.has_next:
            links.append(link(_page_url(request, offset=offset + limit), "next", GEOJSON))
        if offset > 0:
            links.append(link(_page_url(request, offset=max(0, offset - limit)), "prev", GEOJSON))
    else:
        if page.has_next and page.last is not None:
            links.append(link(_page_url(request, after=page.last), "next", GEOJSON))
        if page.has_prev and page.first is not None:
            links.append(link(_page_url(request, before=page.first), "prev", GEOJSON))

    head = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "numberReturned": len(page.features),
        "links": links,
    }
    if page.matched_estimate is not None:
        head["numberMatched"] = page.matched_estimate
    member = crs_member(out_crs)
    if member is not None:
        head["crs"] = member
    body = (
        json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(page.features) + "]}"
    )
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs.uri}>"})


@router.get("/collections/{cid}/items/{fid}", summary="One feature")
async def collection_item(
    cid: LayerId,
    fid: FeatureId,
    request: Request,
    conn: ReadConnDep,
    role: RoleDep,
    state: StateDep,
    crs: CrsUri = None,
) -> Response:
    """One feature as GeoJSON."""
    layer = get_layer(cid, role, "vector")
    mark_caller_dependent(request, [layer])
    out_crs = parse_crs_uri(crs)
    text, personal = await item(conn, layer, fid, out_crs, role)
    if personal:
        async with on_primary(state, conn, role) as primary:
            await audit_view(primary, request, get_principal(request), action="feature",
                             target=f"collections/{cid}/items/{fid}", parcel_ids=[int(fid)])
    base = base_url(request)
    links = (
        f'[{{"href":"{base}/collections/{cid}/items/{fid}","rel":"self","type":"{GEOJSON}"}},'
        f'{{"href":"{base}/collections/{cid}","rel":"collection","type":"application/json"}}]'
    )
    member = crs_member(out_crs)
    if member is not None:
        links += ',"crs":' + json.dumps(member)
    return Response(
        text[:-1] + ',"links":' + links + "}",
        media_type=GEOJSON,
        headers={"Content-Crs": f"<{out_crs.uri}>"},
    )
