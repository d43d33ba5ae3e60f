"""A province for the wall: its names and communes, and its parcels by land-use group.

Async, on a connection the caller owns: the web app passes its request connection, which runs
as the caller's database role (these figures are public: no land users are read).
"""

from __future__ import annotations

from typing import Any

import psycopg

from gis.errors import NotFound
from gis.landuse import GROUPS

_PROVINCE = """
SELECT p.code, p.name, p.name_en,
       array(SELECT c.code FROM admin.communes c WHERE c.province_code = p.code ORDER BY c.code)
FROM admin.provinces p WHERE p.code = %s
"""
_BY_GROUP = """
SELECT k.land_group, count(DISTINCT p.id), coalesce(sum(q.area_m2), 0)
FROM land.parcels p
JOIN admin.communes c ON c.code = p.commune_code
JOIN land.parcel_purposes q ON q.parcel_id = p.id
JOIN land.land_use_codes k ON k.code = q.land_use_code
WHERE c.province_code = %s AND p.valid_to IS NULL
GROUP BY k.land_group
"""
_COMMUNES_WITH_PARCELS = """
SELECT count(DISTINCT p.commune_code) FROM land.parcels p
JOIN admin.communes c ON c.code = p.commune_code
WHERE c.province_code = %s AND p.valid_to IS NULL
"""


async def province_info(conn: psycopg.AsyncConnection, code: str) -> dict[str, Any]:
    """Code, names and commune codes of province ``code``; NotFound if there is none."""
    cur = await conn.execute(_PROVINCE, (code,))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no province with code {code}")
    return {"code": row[0], "name": row[1], "name_en": row[2], "communes": list(row[3])}


async def province_land_use(conn: psycopg.AsyncConnection, code: str) -> dict[str, Any]:
    """Current parcels and their area by land-use group over the communes of province ``code``.

    A parcel with purposes in two groups counts in both (as in the per-commune summaries).
    """
    info = await province_info(conn, code)
    cur = await conn.execute(_BY_GROUP, (code,))
    found = {group: (int(n), float(area)) for group, n, area in await cur.fetchall()}
    cur = await conn.execute(_COMMUNES_WITH_PARCELS, (code,))
    row = await cur.fetchone()
    groups = list(GROUPS) + sorted(set(found) - set(GROUPS))
    return {
        "province": {"code": info["code"], "name": info["name"], "name_en": info["name_en"]},
        "communes_with_parcels": int(row[0]) if row else 0,
        "parcels_by_group": [
            {"group": g, "count": found.get(g, (0, 0.0))[0],
             "area_m2": round(found.get(g, (0, 0.0))[1], 1)}
            for g in groups
        ],
    }  # fmt: skip
