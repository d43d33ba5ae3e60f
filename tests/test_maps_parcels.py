"""Parcel endpoints: at a point, by key with history, planning overlay."""

from __future__ import annotations

import psycopg

from gis.parcels.history import edit_parcel
from gis.settings import to_libpq_url


def centre(database_url: str, sheet: int, number: int) -> tuple[float, float]:
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        row = conn.execute(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
            " FROM land.parcels WHERE commune_code = '00070' AND sheet_number = %s"
            " AND parcel_number = %s AND valid_to IS NULL",
            (sheet, number),
        ).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


def test_parcel_at_point(client, database_url):
    lon, lat = centre(database_url, 1, 12)
    doc = client.get("/parcels/at", params={"lon": lon, "lat": lat}).json()
    assert (doc["commune_code"], doc["sheet_number"], doc["parcel_number"]) == ("00070", 1, 12)
    assert doc["commune_name"] == "Hoàn Kiếm" and doc["province_name"] == "Hà Nội"
    assert doc["purposes"][0]["name_vi"]
    assert "users" not in doc  # personal data: never for anonymous callers
    sea = client.get("/parcels/at", params={"lon": 107.5, "lat": 17.0})
    assert sea.status_code == 404 and "nothing here" in sea.json()["description"]


def test_parcel_with_history_and_planning(client, database_url, conn):
    edit_parcel("00070", 1, 20, address="Số 20 mới", url=database_url)
    doc = client.get("/parcels/00070/1/20").json()
    assert doc["parcel"]["address"] == "Số 20 mới"
    assert len(doc["history"]) == 2 and doc["history"][1]["valid_to"] is not None
    plan = doc["parcel"]["planning"]
    want = conn.execute(
        "SELECT z.planned_use, sum(ST_Area(ST_Intersection(p.geom_native,"
        " ST_Transform(z.geom, p.srid)))) FROM land.parcels p JOIN land.planning_zones z"
        " ON ST_Intersects(z.geom, p.geom) WHERE p.commune_code = '00070'"
        " AND p.sheet_number = 1 AND p.parcel_number = 20 AND p.valid_to IS NULL"
        " GROUP BY 1"
    ).fetchall()
    got = {z["code"]: z["area_m2"] for z in plan["planned"]}
    assert got == {code: round(area, 1) for code, area in want if round(area, 1) > 0}
    assert abs(sum(got.values()) + plan["unplanned_m2"] - plan["legal_area_m2"]) < 0.5
    assert all(z["name_vi"] and z["plans"] == ["QH-00070-2030"] for z in plan["planned"])
    only = client.get("/parcels/00070/1/20/planning").json()
    assert only == plan


def test_unknown_parcel(client):
    r = client.get("/parcels/00070/99/1")
    assert r.status_code == 404
    assert client.get("/parcels/00070/99/1/planning").status_code == 404
