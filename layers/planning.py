"""Land-use planning (quy hoạch): load a plan, overlay it on a parcel, make the sample plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.rows import dict_row

from gis.db import arun
from gis.errors import ImportFileError, InvalidInput
from gis.parcels.queries import current_parcel

#: The sample plan shipped in data/planning/ (synthetic: see data/SOURCES.md).
SAMPLE_PLAN = (
    Path(__file__).resolve().parent.parent / "data" / "planning" / "sample_plan.geojson.gz"
)
FIELDS = ("plan_code", "plan_name", "period", "commune_code", "zone_code", "planned_use", "note")


def load_plan(conn: psycopg.Connection, path: Path = SAMPLE_PLAN) -> int:
    """Upsert the zones of a plan file (GeoJSON/GPKG in WGS 84 or with a CRS); returns zones.

    One transaction; a file missing a field, or naming an unknown land-use code or commune,
    changes nothing.
    """
    source = f"/vsigzip/{path}" if str(path).endswith(".gz") else path
    try:
        frame = gpd.read_file(source)
    except Exception as exc:
        raise ImportFileError(f"cannot read plan file {path.name}: {exc}") from exc
    missing = [f for f in ("plan_code", "plan_name", "zone_code", "planned_use")
               if f not in frame.columns]  # fmt: skip
    if missing or frame.empty or frame.crs is None:
        raise ImportFileError(f"{path.name}: not a plan file (missing {missing or 'data/CRS'})")
    frame = frame.to_crs(4326)
    geoms = shapely.make_valid(frame.geometry.values)
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False)):
        geom = shapely.geometry.MultiPolygon(
            [g for g in getattr(geoms[i], "geoms", [geoms[i]]) if g.geom_type == "Polygon"]
        )
        values = {f: getattr(rec, f, None) for f in FIELDS}
        rows.append(
            (
                *(None if v is None or v != v else str(v) for v in values.values()),
                bool(getattr(rec, "synthetic", False)),
                shapely.to_wkb(geom),
            )
        )
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO land.planning_zones (plan_code, plan_name, period, commune_code,"
                " zone_code, planned_use, note, synthetic, geom)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, ST_GeomFromWKB(%s, 4326))"
                " ON CONFLICT (plan_code, zone_code) DO UPDATE SET plan_name = EXCLUDED.plan_name,"
                " period = EXCLUDED.period, commune_code = EXCLUDED.commune_code,"
                " planned_use = EXCLUDED.planned_use, note = EXCLUDED.note,"
                " synthetic = EXCLUDED.synthetic, geom = EXCLUDED.geom"
                " WHERE (planning_zones.planned_use, planning_zones.geom)"
                " IS DISTINCT FROM (EXCLUDED.planned_use, EXCLUDED.geom)",
                rows,
            )
    except psycopg.errors.ForeignKeyViolation as exc:
        detail = exc.diag.message_detail
        raise InvalidInput(f"{path.name}: unknown land-use code or commune ({detail})") from exc
    return len(rows)


async def parcel_overlay(
    conn: psycopg.AsyncConnection, commune: str, sheet: int, number: int
) -> dict[str, Any]:
    """Area of the current parcel by planned purpose (m², in the parcel's TM-3 CRS)."""
    columns = sql.SQL("p.id, p.srid, p.legal_area_m2::float8")
    pid, srid, area = await arun(conn, current_parcel(columns, commune, sheet, number))
    parcel = {"id": pid, "srid": srid, "legal_area_m2": area}
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "SELECT z.planned_use AS code, k.name_vi, k.name_en, array_agg(DISTINCT z.plan_code)"
        " AS plans, round(sum(ST_Area(ST_Intersection(p.geom_native,"
        " ST_Transform(z.geom, p.srid))))::numeric, 1)::float8 AS area_m2"
        " FROM land.parcels p JOIN land.planning_zones z"
        " ON z.geom && p.geom AND ST_Intersects(z.geom, p.geom)"
        " JOIN land.land_use_codes k ON k.code = z.planned_use"
        " WHERE p.id = %s GROUP BY z.planned_use, k.name_vi, k.name_en ORDER BY area_m2 DESC",
        [parcel["id"]],
    )
    zones = [z for z in await cur.fetchall() if z["area_m2"] > 0]
    covered = sum(z["area_m2"] for z in zones)
    return {
        "commune_code": commune,
        "sheet_number": sheet,
        "parcel_number": number,
        "legal_area_m2": parcel["legal_area_m2"],
        "planned": zones,
        "unplanned_m2": round(max(parcel["legal_area_m2"] - covered, 0.0), 1),
    }


#: Planned purposes of the synthetic sample plan, with their share of zones.
SAMPLE_USES = ("ODT", "ODT", "TMD", "DGD", "DKV", "DGT", "DYT", "DVH", "SKC", "ONT")


def synthetic_plan(
    communes: gpd.GeoDataFrame, *, cell_m: float = 250.0, seed: int = 2025
) -> gpd.GeoDataFrame:
    """A SYNTHETIC plan: each commune cut into ~``cell_m`` blocks, each given a planned use.

    ``communes`` needs ``code`` and ``name`` columns and a geometry; the result is in WGS 84.
    Nothing about it is a real plan: it only exercises the planning layer and overlay.
    """
    rng = np.random.default_rng(seed)
    out = []
    for rec in communes.to_crs(communes.estimate_utm_crs()).itertuples():
        minx, miny, maxx, maxy = rec.geometry.bounds
        xs = np.arange(minx, maxx, cell_m)
        ys = np.arange(miny, maxy, cell_m)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        cells = shapely.intersection(shapely.box(gx, gy, gx + cell_m, gy + cell_m), rec.geometry)
        cells = cells[~shapely.is_empty(cells) & (shapely.area(cells) > 100)]
        for i, cell in enumerate(cells):
            out.append({
                "plan_code": f"QH-{rec.code}-2030", "period": "2021–2030",
                "plan_name": f"Quy hoạch sử dụng đất {rec.name} đến 2030 (TỔNG HỢP, không có thật)",
                "commune_code": rec.code, "zone_code": f"Z{i + 1:04d}",
                "planned_use": SAMPLE_USES[int(rng.integers(len(SAMPLE_USES)))],
                "note": "synthetic sample", "synthetic": True, "geometry": cell,
            })  # fmt: skip
    return gpd.GeoDataFrame(
        out, geometry="geometry", crs=communes.to_crs(communes.estimate_utm_crs()).crs
    ).to_crs(4326)
