"""Export of the parcels a user selected on the page, as GeoJSON, GeoPackage or CSV.

The page sends the features it received from the OGC API (``/collections/parcels/items``), so
an export holds what the user was allowed to see; this module converts formats (pyogrio/GDAL)
and reads nothing from the database. Personal data: for a role that may not see a property
(``land_users`` outside the land role) it is dropped from the posted features before conversion;
for the land role, an export carrying land users is written to the audit log first (the
exported feature ids, action ``export``), and is refused (503) if that write fails.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from gis.access.roles import Role
from gis.errors import InvalidInput
from layers.catalog import CATALOG
from maps.deps import PrincipalDep, StateDep, pooled
from maps.personal import audit_view

router = APIRouter(tags=["pages"])

Format = Literal["geojson", "gpkg", "csv"]
MAX_FEATURES = 5000
MEDIA_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
}


def _frame(collection: dict[str, Any]) -> gpd.GeoDataFrame:
    """The selection as a GeoDataFrame in WGS 84; InvalidInput on anything that is not one."""
    features = collection.get("features")
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InvalidInput("expected a GeoJSON FeatureCollection")
    if not features:
        raise InvalidInput("the selection is empty")
    if len(features) > MAX_FEATURES:
        raise InvalidInput(f"at most {MAX_FEATURES} parcels per export")
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InvalidInput("the selection is not valid GeoJSON") from exc
    # Nested values (e.g. a purposes list) become JSON text so every format can hold them.
    for column in frame.columns:
        if column != "geometry" and frame[column].map(lambda v: isinstance(v, dict | list)).any():
            frame[column] = frame[column].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
            )
    return frame


def hidden_properties(role: Role) -> set[str]:
    """Parcel properties ``role`` may not see (stripped from what it exports)."""
    layer = CATALOG["parcels"]
    return {p.name for p in layer.properties} - {p.name for p in layer.props_for(role)}


def personal_ids(collection: dict[str, Any], role: Role) -> list[int] | None:
    """Ids of the features carrying personal data ``role`` sees; None when none carries any."""
    names = {p.name for p in CATALOG["parcels"].personal_props(role)}
    carrying = [
        f for f in collection.get("features") or []
        if isinstance(f, dict) and isinstance(f.get("properties"), dict)
        and any(f["properties"].get(n) for n in names)
    ]  # fmt: skip
    if not carrying:
        return None
    return [int(f["id"]) for f in carrying if str(f.get("id", "")).isdigit()]


def strip_hidden(collection: dict[str, Any], role: Role) -> dict[str, Any]:
    """``collection`` without the properties ``role`` may not see (a copy; input unchanged)."""
    hidden = hidden_properties(role)
    features = collection.get("features")
    if not hidden or not isinstance(features, list):
        return collection
    out = []
    for f in features:
        if isinstance(f, dict) and isinstance(f.get("properties"), dict):
            props = {k: v for k, v in f["properties"].items() if k not in hidden}
            f = {**f, "properties": props}
        out.append(f)
    return {**collection, "features": out}


def convert(collection: dict[str, Any], fmt: Format) -> bytes:
    """``collection`` (GeoJSON FeatureCollection) written as ``fmt``."""
    frame = _frame(collection)
    if fmt == "geojson":
        return frame.to_json(ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        table = frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt())
        # utf-8-sig: spreadsheet programs then read the Vietnamese diacritics correctly.
        return table.to_csv(index=False).encode("utf-8-sig")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parcels.gpkg"
        frame.to_file(path, layer="parcels", driver="GPKG", engine="pyogrio")
        return path.read_bytes()


@router.post("/maps/parcels/export", summary="Export selected parcels")
async def export_selection(
    collection: Annotated[dict[str, Any], Body(description="GeoJSON FeatureCollection")],
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    format: Annotated[Format, Query(description="geojson, gpkg or csv")] = "geojson",
) -> Response:
    """Return the selected parcels as a file download (land users for the land role only)."""
    collection = strip_hidden(collection, principal.role)
    data = await run_in_threadpool(convert, collection, format)  # InvalidInput → 400
    ids = personal_ids(collection, principal.role)
    if ids is not None:  # land users leave in this file: audited first, or nothing leaves
        async with pooled(state, role=principal.role) as conn:
            await audit_view(conn, request, principal, action="export",
                             target=f"maps/parcels/export.{format}", parcel_ids=ids)  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"thua-dat-{stamp}.{format}"
    return Response(
        data,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
