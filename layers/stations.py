"""Station queries of the map services: the station layer's features, datastreams, parcels nearby.

The station status itself (index, category, state) is the sensors' (``sensor.station_status``,
read through the catalog's ``layers.stations`` view); datastreams and the AQI/WQI and parameter
series are read through :mod:`sensors.contract`.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.rows import dict_row

from gis.errors import InvalidInput, NotFound
from sensors.contract import arun, datastreams
from sensors.contract.states import EXCEEDING


async def station_features(conn: psycopg.AsyncConnection) -> list[dict[str, Any]]:
    """Every station with its index, category, state and latest values, as GeoJSON features."""
    cur = await conn.execute(
        "SELECT fid, code, name, kind, commune_code, index_value, category, category_vi, color,"
        " dominant, state, observed_at, latest, ST_AsGeoJSON(geom, 7)::json"
        " FROM layers.stations ORDER BY code"
    )
    out = []
    for row in await cur.fetchall():
        *props, geom = row
        keys = (
            "fid",
            "code",
            "name",
            "kind",
            "commune_code",
            "index_value",
            "category",
            "category_vi",
            "color",
            "dominant",
            "state",
            "observed_at",
            "latest",
        )
        p = dict(zip(keys, props, strict=True))
        p["latest"] = json.loads(p["latest"]) if p["latest"] else {}
        out.append({"type": "Feature", "id": p.pop("fid"), "geometry": geom, "properties": p})
    return out


async def station(conn: psycopg.AsyncConnection, code: str) -> dict[str, Any]:
    """One station with its datastreams (property, unit, latest value and time)."""
    features = [f for f in await station_features(conn) if f["properties"]["code"] == code]
    if not features:
        raise NotFound(f"no station {code!r}")
    feature = features[0]
    feature["properties"]["datastreams"] = await arun(conn, datastreams(code))
    return feature


async def parcels_near_exceeding(
    conn: psycopg.AsyncConnection,
    distance_m: float,
    parameter: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Current parcels within ``distance_m`` of a station now exceeding a limit.

    A station counts when its state is ``exceeding`` or it has an alert period that has not
    ended more than an hour ago (optionally only for ``parameter``).
    """
    if not 0 < distance_m <= 20_000:
        raise InvalidInput("distance must be between 0 and 20000 metres")
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "WITH hot AS ("
        " SELECT s.id, s.code, s.geom FROM sensor.stations s"
        " WHERE EXISTS (SELECT 1 FROM sensor.alerts a WHERE a.station_id = s.id"
        "   AND a.end_time > now() - interval '1 hour'"
        "   AND (%(param)s::text IS NULL OR a.parameter = %(param)s))"
        " OR (%(param)s::text IS NULL AND EXISTS (SELECT 1 FROM sensor.station_states st"
        "   WHERE st.station_id = s.id AND st.state = %(exceeding)s)))"
        " SELECT p.commune_code, p.sheet_number, p.parcel_number, p.land_use,"
        " p.legal_area_m2, h.code AS station,"
        " round(ST_Distance(p.geom::geography, h.geom::geography)::numeric, 1)::float8"
        "   AS distance_m"
        " FROM hot h JOIN layers.parcels p"
        # Degrees prefilter (index), then the exact distance on the spheroid.
        "  ON p.geom && ST_Expand(h.geom, %(deg)s)"
        "  AND ST_DWithin(p.geom::geography, h.geom::geography, %(d)s)"
        " ORDER BY distance_m, p.fid LIMIT %(lim)s",
        {
            "param": parameter,
            "exceeding": EXCEEDING,
            "d": distance_m,
            "deg": distance_m / 100_000.0,
            "lim": limit,
        },
    )
    return await cur.fetchall()
