"""Export of the parcels a user selected on the page, as GeoJSON, GeoPackage or CSV.

The page sends the features it received from the OGC API (``/collections/parcels/items``), so
an export holds exactly what the user was allowed to see; this module only converts formats
(pyogrio/GDAL), it reads nothing from the database.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import Response

from gis.errors import InvalidInput

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
def export_selection(
    collection: Annotated[dict[str, Any], Body(description="GeoJSON FeatureCollection")],
    format: Annotated[Format, Query(description="geojson, gpkg or csv")] = "geojson",
) -> Response:
    """Return the selected parcels as a file download."""
    try:
        data = convert(collection, format)
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"thua-dat-{stamp}.{format}"
    return Response(
        data,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
