"""VN-2000 in PostGIS follows EPSG:6960 and agrees with pyproj within 1 cm across Vietnam."""

from __future__ import annotations

import math

import psycopg
import pytest
from pyproj import Transformer
from pyproj.transformer import TransformerGroup

from gis.crs import TM3_ZONES, VN2000_CRS, VN2000_GEOGRAPHIC, towgs84_parameters

# (lon, lat) WGS 84, north to south and west to east of the country.
POINTS = [
    (105.3200, 23.3600),  # Lũng Cú, Tuyên Quang (former Hà Giang)
    (103.1500, 22.3900),  # Lai Châu
    (105.8542, 21.0285),  # Hồ Hoàn Kiếm, Hà Nội
    (107.0800, 20.9500),  # Hạ Long, Quảng Ninh
    (105.6900, 18.6700),  # Vinh, Nghệ An
    (107.5900, 16.4600),  # Huế
    (108.2200, 16.0500),  # Đà Nẵng
    (109.1017, 15.3747),  # Lý Sơn
    (108.0000, 13.9800),  # Pleiku, Gia Lai
    (106.7000, 10.7760),  # TP HCM
    (103.9600, 10.2200),  # Phú Quốc, An Giang
    (105.1500, 8.6000),  # Cà Mau
]


def _transformer_6960(target: int) -> Transformer:
    """pyproj's WGS 84 → target using EPSG:6960 explicitly (never PROJ's other choice)."""
    group = TransformerGroup(4326, target, always_xy=True)
    for t in group.transformers:
        if '"code":6960' in t.to_json().replace(" ", ""):
            return t
    raise AssertionError(f"pyproj has no EPSG:6960 path to EPSG:{target}")


def test_every_vn2000_crs_is_registered(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "SELECT srid, srtext, proj4text FROM spatial_ref_sys WHERE srid = ANY(%s)",
        [list(VN2000_CRS)],
    ).fetchall()
    assert {r[0] for r in rows} == set(VN2000_CRS)
    for srid, srtext, proj4 in rows:
        assert srtext.endswith(f'AUTHORITY["EPSG","{srid}"]]')
        assert "TOWGS84[-191.90441429,-39.30318279,-111.45032835,0.00928836," in srtext
        # The sign trap: position-vector rotations are the negated coordinate-frame ones.
        assert (
            "+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
            in proj4
        )


def test_towgs84_flips_rotation_signs() -> None:
    assert towgs84_parameters() == (
        -191.90441429,
        -39.30318279,
        -111.45032835,
        0.00928836,
        -0.01975479,
        0.00427372,
        0.252906278,
    )


@pytest.mark.parametrize("srid", sorted(set(VN2000_CRS)))
def test_postgis_agrees_with_pyproj_epsg6960(conn: psycopg.Connection, srid: int) -> None:
    t = _transformer_6960(srid)
    for lon, lat in POINTS:
        x, y = conn.execute(
            "SELECT ST_X(g), ST_Y(g)"
            " FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s) g",
            [lon, lat, srid],
        ).fetchone()
        ex, ey = t.transform(lon, lat)
        if srid == VN2000_GEOGRAPHIC:
            dx = (x - ex) * 111_320 * math.cos(math.radians(lat))
            dy = (y - ey) * 110_574
        else:
            dx, dy = x - ex, y - ey
        assert math.hypot(dx, dy) < 0.01, (srid, lon, lat, dx, dy)


def test_round_trip_tm3_zone_is_lossless(conn: psycopg.Connection) -> None:
    for srid in TM3_ZONES.values():
        d = conn.execute(
            "SELECT ST_Distance(g::geography, ST_Transform(ST_Transform(g, %s), 4326)::geography)"
            " FROM ST_SetSRID(ST_MakePoint(105.85, 21.03), 4326) g",
            [srid],
        ).fetchone()[0]
        assert d < 0.001


def test_ly_son_test_vector(conn: psycopg.Connection) -> None:
    """WGS84 15°22′29″N 109°06′07″E → VN-2000 15°22′32.7″N 109°06′00.5″E (to 0.1″)."""
    lon, lat = conn.execute(
        "SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 4756) g",
        [109 + 6 / 60 + 7 / 3600, 15 + 22 / 60 + 29 / 3600],
    ).fetchone()
    lat_s = (lat - 15 - 22 / 60) * 3600
    lon_s = (lon - 109 - 6 / 60) * 3600
    assert abs(lat_s - 32.7) <= 0.06
    assert abs(lon_s - 0.5) <= 0.06
    # and the widely copied unflipped string would be ~0.75 m away: make sure we are not it
    wrong = Transformer.from_crs(
        4326,
        "+proj=longlat +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,"
        "-0.00928836,0.01975479,-0.00427372,0.252906278 +no_defs",
        always_xy=True,
    )
    wlon, wlat = wrong.transform(109 + 6 / 60 + 7 / 3600, 15 + 22 / 60 + 29 / 3600)
    off = math.hypot((wlon - lon) * 107_300, (wlat - lat) * 110_600)
    assert off > 0.3
