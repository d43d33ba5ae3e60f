"""Reads of a facility for the map side: its card (facility, points, their limits and states)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from gis.errors import NotFound
from sensors.contract.reads import Read
from sensors.facilities.regulations import point_limit

_CARD = sql.SQL("""
SELECT f.code, f.name, f.tax_code, f.address, f.commune_code::text, f.sector, lf.state,
       lf.interrupted, ST_X(f.geom), ST_Y(f.geom),
       s.code, s.name, s.kind, mp.regulation, mp.class, mp.coefficients, mp.permit_limits,
       st.state, tr.interrupted, tr.last_received,
       (SELECT array_agg(d.property_code ORDER BY d.property_code) FROM sensor.datastreams d
        WHERE d.station_id = s.id)
FROM sensor.facilities f
JOIN layers.facilities lf ON lf.fid = f.id
LEFT JOIN sensor.stations s ON s.facility_id = f.id
LEFT JOIN sensor.monitoring_points mp ON mp.station_id = s.id
LEFT JOIN sensor.station_states st ON st.station_id = s.id
LEFT JOIN sensor.transmission_status tr ON tr.station_id = s.id
WHERE f.code = %(code)s
ORDER BY s.code
""")


def _limits(regulation: str, klass: str, coeff: dict, permit: dict, params: list[str]) -> dict:
    out: dict[str, Any] = {}
    for p in params:
        lim = point_limit(regulation, klass, coeff, permit, p)
        if lim is not None:
            out[p] = {"max": lim.value, "low": lim.low, "high": lim.high, "source": lim.source}
    return out


def _shape(code: str) -> Any:
    def shape(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        if not rows:
            raise NotFound(f"no such facility: {code}")
        first = rows[0]
        keys = ("code", "name", "tax_code", "address", "commune_code", "sector", "state",
                "interrupted")  # fmt: skip
        points = []
        for r in rows:
            if r[10] is None:
                continue
            params = list(r[20] or [])
            points.append({
                "code": r[10], "name": r[11], "kind": r[12], "regulation": r[13],
                "class": r[14], "coefficients": r[15], "permit_limits": r[16],
                "state": r[17], "interrupted": bool(r[18]),
                "last_received": r[19].isoformat() if r[19] else None,
                "parameters": params,
                "limits": _limits(r[13], r[14], r[15] or {}, r[16] or {}, params),
            })  # fmt: skip
        return {
            **dict(zip(keys, first[:8], strict=True)),
            "lon": first[8],
            "lat": first[9],
            "points": points,
        }

    return shape


def facility_card(code: str) -> Read[dict[str, Any]]:
    """Facility ``code`` with its points: regulation, class, coefficients, limits, state."""
    return Read(_CARD, {"code": code}, _shape(code))


_POINT = sql.SQL("""
SELECT s.code, s.kind, f.code, f.name, mp.regulation, mp.class, mp.coefficients,
       mp.permit_limits,
       (SELECT array_agg(d.property_code ORDER BY d.property_code) FROM sensor.datastreams d
        WHERE d.station_id = s.id)
FROM sensor.stations s
JOIN sensor.facilities f ON f.id = s.facility_id
JOIN sensor.monitoring_points mp ON mp.station_id = s.id
WHERE s.code = %(code)s
""")


def _point_shape(code: str) -> Any:
    def shape(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        if not rows:
            raise NotFound(f"no facility point {code}")
        code_, kind, fcode, fname, regulation, klass, coeff, permit, params = rows[0]
        return {
            "code": code_, "kind": kind, "facility": {"code": fcode, "name": fname},
            "regulation": regulation, "class": klass, "coefficients": coeff,
            "limits": _limits(regulation, klass, coeff or {}, permit or {}, list(params or [])),
        }  # fmt: skip

    return shape


def point_limits(code: str) -> Read[dict[str, Any]]:
    """Facility point ``code``: its facility, regulation, class and the limit of each
    parameter (what its hourly means are judged against)."""
    return Read(_POINT, {"code": code}, _point_shape(code))


#: The columns of a facility in the list (the view ``layers.facilities``, migration 0011).
LIST_COLUMNS = ("code", "name", "sector", "commune_code", "outlets", "stacks", "state",
                "interrupted")  # fmt: skip
_LIST = sql.SQL("SELECT {} FROM layers.facilities ORDER BY code").format(
    sql.SQL(", ").join(map(sql.Identifier, LIST_COLUMNS))
)


def list_facilities(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every facility by code: sector, commune, outlet and stack counts, worst point state and
    whether a point's transmission is interrupted."""
    rows = conn.execute(_LIST).fetchall()
    return [dict(zip(LIST_COLUMNS, r, strict=True)) for r in rows]
