"""Writes of the facility registry: facilities, their points (stations), their regulation."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from gis.errors import InvalidInput
from sensors.facilities.registry import Facility, ImportSummary, read_facilities
from sensors.properties import get_property
from sensors.stations import check_communes
from sensors.store import notify_stations

_FACILITY = """
INSERT INTO sensor.facilities (code, name, tax_code, address, commune_code, sector, geom)
VALUES (%s, %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, tax_code = EXCLUDED.tax_code,
    address = EXCLUDED.address, commune_code = EXCLUDED.commune_code, sector = EXCLUDED.sector,
    geom = EXCLUDED.geom, updated_at = now()
RETURNING id, xmax = 0
"""
_POINT = """
INSERT INTO sensor.stations (code, name, kind, geom, commune_code, facility_id)
VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom,
    commune_code = EXCLUDED.commune_code, facility_id = EXCLUDED.facility_id, updated_at = now()
RETURNING id, xmax = 0
"""
_REGULATION = """
INSERT INTO sensor.monitoring_points (station_id, regulation, class, coefficients, permit_limits)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (station_id) DO UPDATE SET regulation = EXCLUDED.regulation, class = EXCLUDED.class,
    coefficients = EXCLUDED.coefficients, permit_limits = EXCLUDED.permit_limits,
    updated_at = now()
"""
_COMMUNE_AT = """
SELECT c.code FROM admin.communes c
WHERE ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY c.code LIMIT 1
"""


def _check_existing(conn: psycopg.Connection, facilities: list[Facility]) -> None:
    """A code already used by an ambient station, or by a point of another kind, is refused."""
    points = {p.code: p.kind for f in facilities for p in f.points}
    clash = [
        f"{code} is a {kind} station" if kind not in ("wastewater", "stack")
        else f"point {code} is a {kind} point"
        for code, kind in conn.execute(
            "SELECT code, kind FROM sensor.stations WHERE code = ANY(%s)", [list(points)]
        ).fetchall()
        if kind != points[code]
    ]  # fmt: skip
    if clash:
        raise InvalidInput(f"kind cannot change: {'; '.join(clash)}")
    check_communes(conn, (f.commune_code for f in facilities))


def register(conn: psycopg.Connection, facilities: list[Facility]) -> ImportSummary:
    """Insert or update facilities and their points, in the caller's transaction."""
    _check_existing(conn, facilities)
    created = points_created = added = 0
    for f in facilities:
        commune = f.commune_code
        if commune is None:
            row = conn.execute(_COMMUNE_AT, [f.lon, f.lat]).fetchone()
            commune = row[0].strip() if row else None
        fid, new = conn.execute(
            _FACILITY, [f.code, f.name, f.tax_code, f.address, commune, f.sector, f.lon, f.lat]
        ).fetchone()  # type: ignore[misc]
        created += bool(new)
        for p in f.points:
            sid, new_point = conn.execute(
                _POINT, [p.code, p.name, p.kind, p.lon, p.lat, commune, fid]
            ).fetchone()  # type: ignore[misc]
            points_created += bool(new_point)
            conn.execute(
                _REGULATION,
                [sid, p.regulation, p.klass, Jsonb(p.coefficients), Jsonb(p.permit_limits)],
            )
            for code in p.parameters:
                prop = get_property(p.kind, code)
                assert prop is not None  # validated
                added += conn.execute(
                    "INSERT INTO sensor.datastreams (station_id, property_code, unit,"
                    " expected_per_hour) VALUES (%s, %s, %s, %s) ON CONFLICT (station_id,"
                    " property_code) DO UPDATE SET expected_per_hour = EXCLUDED.expected_per_hour"
                    " RETURNING xmax = 0",
                    [sid, prop.code, prop.unit, p.readings_per_hour],
                ).fetchone()[0]  # type: ignore[index]
    codes = [p.code for f in facilities for p in f.points]
    notify_stations(conn, codes)
    return ImportSummary(len(facilities), created, len(codes), points_created, added)


def import_file(conn: psycopg.Connection, path: Path) -> ImportSummary:
    """Validate a whole file, then register it in one transaction (all or nothing)."""
    facilities = read_facilities(path)
    with conn.transaction():
        return register(conn, facilities)
