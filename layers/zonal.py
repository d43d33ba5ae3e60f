"""Zonal statistics with exactextract: class areas (coded rasters) or means per polygon."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
import rasterio
import shapely
from exactextract import exact_extract
from psycopg import sql
from rasterio.io import MemoryFile

from gis.db import arun
from gis.errors import NotFound
from gis.parcels.queries import current_parcel
from layers.rasterspec import RasterClass, RasterSpec


async def commune_zone(conn: psycopg.AsyncConnection, code: str) -> tuple[str, Any]:
    """(name, geometry) of a commune."""
    cur = await conn.execute(
        "SELECT name, ST_AsBinary(geom) FROM admin.communes WHERE code = %s", [code]
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no commune {code!r}")
    return str(row[0]), shapely.from_wkb(bytes(row[1]))


async def parcel_zone(
    conn: psycopg.AsyncConnection, commune: str, sheet: int, number: int
) -> tuple[str, Any]:
    """(label, geometry) of a current parcel."""
    query = current_parcel(sql.SQL("ST_AsBinary(p.geom)"), commune, sheet, number)
    (wkb,) = await arun(conn, query)
    return f"{commune}/{sheet}/{number}", shapely.from_wkb(bytes(wkb))


def _cell_area_m2(ds: Any, lat: float) -> float:
    """Area of one cell of a WGS 84 raster at latitude ``lat`` (m², local approximation)."""
    rx, ry = abs(ds.transform.a), abs(ds.transform.e)
    return rx * 111_320.0 * math.cos(math.radians(lat)) * ry * 110_574.0


def _extract(
    source: Path | bytes, geoms: Sequence[Any], ops: list[str]
) -> tuple[list[dict[str, Any]], list[float]]:
    """exactextract over every zone in one pass: the rows and each zone's cell area (m²)."""
    features = [
        {"type": "Feature", "id": i, "properties": {"zone": i}, "geometry": g.__geo_interface__}
        for i, g in enumerate(geoms)
    ]
    if isinstance(source, bytes):
        with MemoryFile(source) as mem, mem.open() as ds:
            rows = exact_extract(ds, features, ops, include_cols=["zone"])
            cells = [_cell_area_m2(ds, g.centroid.y) for g in geoms]
    else:
        if not Path(source).exists():
            raise NotFound(f"raster file {Path(source).name} is missing")
        with rasterio.open(source) as ds:
            rows = exact_extract(ds, features, ops, include_cols=["zone"])
            cells = [_cell_area_m2(ds, g.centroid.y) for g in geoms]
    by_zone = {r["properties"]["zone"]: r["properties"] for r in rows}
    return [by_zone[i] for i in range(len(geoms))], cells


def class_areas_many(
    source: Path | bytes, geoms: Sequence[Any], declared: Sequence[RasterClass]
) -> list[dict[str, Any]]:
    """Area per class of a coded raster inside each zone (cells weighted by the share
    covered); ``declared`` names the codes."""
    names = {int(c.value): (c.name_vi, c.name_en) for c in declared}
    rows, cells = _extract(source, geoms, ["unique", "frac", "count"])
    out = []
    for row, cell in zip(rows, cells, strict=True):
        valid_m2 = float(row["count"]) * cell
        classes: list[dict[str, Any]] = []
        for code, frac in zip(row["unique"], row["frac"], strict=True):
            vi, en = names.get(int(code), ("?", "?"))
            classes.append(
                {"code": int(code), "vi": vi, "en": en, "fraction": round(float(frac), 6),
                 "area_m2": round(float(frac) * valid_m2, 1)}
            )  # fmt: skip
        classes.sort(key=lambda c: -float(c["area_m2"]))
        out.append({"covered_m2": round(valid_m2, 1), "classes": classes})
    return out


def surface_means(source: Path | bytes, geoms: Sequence[Any]) -> list[dict[str, Any] | None]:
    """Coverage-weighted mean, min and max of a continuous raster in each zone (None: no data)."""
    rows, cells = _extract(source, geoms, ["mean", "min", "max", "count"])
    out: list[dict[str, Any] | None] = []
    for row, cell in zip(rows, cells, strict=True):
        if not row["count"]:
            out.append(None)
            continue
        out.append(
            {"mean": round(float(row["mean"]), 2), "min": round(float(row["min"]), 2),
             "max": round(float(row["max"]), 2), "covered_m2": round(float(row["count"]) * cell, 1)}
        )  # fmt: skip
    return out


def surface_mean(source: Path | bytes, geom: Any) -> dict[str, Any]:
    """Coverage-weighted mean, min and max of a continuous raster inside one zone."""
    stats = surface_means(source, [geom])[0]
    if stats is None:
        raise NotFound("the surface does not cover this area")
    return stats


def zonal_stats(spec: RasterSpec, source: Path | bytes, geom: Any) -> dict[str, Any]:
    """The zonal statistic ``spec`` declares, inside one zone: class areas or mean/min/max."""
    if spec.zonal == "class_areas":
        return class_areas_many(source, [geom], spec.classes)[0]
    return surface_mean(source, geom)
