"""Raster tiles and points (land cover, AQI surface) read back as pixels; zonal statistics."""

from __future__ import annotations

import numpy as np
import psycopg
import rasterio
from rasterio.io import MemoryFile

from gis.settings import to_libpq_url
from layers.catalog import CATALOG
from layers.landcover import LANDCOVER
from layers.surface import Surface, SurfaceCache, idw
from tests.fixtures.web import tile_of

HOAN_KIEM = (105.8523, 21.0287)


def pixels(png: bytes) -> np.ndarray:
    """RGBA pixels (4, h, w) of a PNG, read with GDAL."""
    with MemoryFile(png) as mem, mem.open() as ds:
        return ds.read()


def test_landcover_tile_pixels_follow_the_colormap(client):
    z, x, y = tile_of(*HOAN_KIEM, 11)
    r = client.get(f"/raster/landcover/{z}/{x}/{y}.png")
    assert r.headers["content-type"] == "image/png"
    rgba = pixels(r.content)
    assert rgba.shape == (4, 256, 256)
    colours = {tuple(int(v) for v in rgba[:, i, j]) for i in range(0, 256, 8)
               for j in range(0, 256, 8)}  # fmt: skip
    allowed = {c.rgba() for c in CATALOG["landcover"].raster.classes} | {(0, 0, 0, 0)}
    assert colours <= allowed and len(colours - {(0, 0, 0, 0)}) >= 2


def test_landcover_point_matches_the_file(client):
    lon, lat = HOAN_KIEM
    doc = client.get("/raster/landcover/point", params={"lon": lon, "lat": lat}).json()
    with rasterio.open(LANDCOVER) as ds:
        (value,) = next(ds.sample([(lon, lat)]))
    assert doc["value"] == value and doc["class"]["code"] == value
    # The class is named as the legend names it (one declaration of the classes).
    legend = client.get("/layers/landcover/legend.json").json()["entries"]
    named = next(e for e in legend if e["value"] == str(int(value)))
    assert doc["class"]["vi"] == named["label"]["vi"] and doc["class"]["en"] == named["label"]["en"]
    out = client.get("/raster/landcover/point", params={"lon": 100.0, "lat": 10.0})
    assert out.status_code == 404


def test_empty_png_outside_and_bad_requests(client):
    z, x, y = tile_of(0.0, 0.0, 10)
    r = client.get(f"/raster/landcover/{z}/{x}/{y}.png")
    assert r.status_code == 200 and pixels(r.content)[-1].max() == 0  # alpha: transparent
    assert client.get("/raster/parcels/10/1/1.png").status_code == 404
    assert client.get("/raster/landcover/10/5000/1.png").status_code == 400


def test_landcover_zonal_stats_of_a_commune(client, conn):
    doc = client.get("/stats/landcover/communes/00004").json()
    (area,) = conn.execute(
        "SELECT ST_Area(geom::geography) FROM admin.communes WHERE code = '00004'"
    ).fetchone()
    total = sum(c["area_m2"] for c in doc["classes"])
    assert abs(total - doc["covered_m2"]) < 1.0
    assert abs(doc["covered_m2"] - area) / area < 0.02  # the raster covers Ba Đình
    assert abs(sum(c["fraction"] for c in doc["classes"]) - 1) < 1e-6
    assert {c["code"] for c in doc["classes"]} <= {10, 30, 40, 50, 60, 80}
    assert client.get("/stats/landcover/communes/99999").status_code == 404


def test_landcover_zonal_stats_of_a_parcel(client, conn):
    (area,) = conn.execute(
        "SELECT legal_area_m2 FROM land.parcels WHERE commune_code = '00070'"
        " AND sheet_number = 1 AND parcel_number = 2 AND valid_to IS NULL"
    ).fetchone()
    doc = client.get("/stats/landcover/parcels/00070/1/2").json()
    assert abs(doc["covered_m2"] - float(area)) / float(area) < 0.02


def test_surfaces_dropped_by_their_layers_change_sources():
    cache = SurfaceCache()
    layer = CATALOG["aqi_surface"]
    cache.put(layer.id, Surface(b"", 0))
    assert cache.invalidate(["parcels", "planning"]) == [] and cache.get(layer.id) is not None
    (source,) = layer.change_sources
    assert cache.invalidate([source]) == [layer.id] and cache.get(layer.id) is None


def test_idw_is_exact_at_stations_and_bounded():
    xs, ys, vals = np.array([0.0, 1.0]), np.array([0.0, 0.0]), np.array([10.0, 30.0])
    grid = idw(xs, ys, vals, np.array([[0.0, 0.5, 1.0, 3.0]]), np.array([[0.0, 0.0, 0.0, 0.0]]))
    assert grid[0, 0] == 10.0 and grid[0, 2] == 30.0
    assert grid[0, 1] == 20.0 and 10.0 < grid[0, 3] < 30.0


def test_aqi_surface_follows_the_stations(client, database_url, demo_stations):
    def at(lon: float, lat: float) -> float:
        r = client.get("/raster/aqi_surface/point", params={"lon": lon, "lat": lat})
        assert r.status_code == 200, r.text
        return float(r.json()["value"])

    low, high = at(105.8400, 21.0400), at(105.8523, 21.0287)
    assert 40 <= low < high <= 250
    z, x, y = tile_of(*HOAN_KIEM, 12)
    rgba = pixels(client.get(f"/raster/aqi_surface/{z}/{x}/{y}.png").content)
    assert rgba[3].max() == 255  # coloured somewhere
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        conn.execute(
            "INSERT INTO sensor.aqi_hourly (station_id, scheme, hour, aqi, dominant, sub_indices)"
            " VALUES (%s, 'vn', date_trunc('hour', now()) + interval '1 hour', 450, 'pm25',"
            " '{}')",
            (demo_stations["WEBAIR1"],),
        )
        conn.commit()
    try:
        # Recomputed on the next request. The surface is a 0.005° grid and other areas' tests
        # add stations nearby, so the cell at WEBAIR1 rises by a share of the 410-point jump.
        assert at(105.8400, 21.0400) > low + 25
        mean = client.get("/stats/aqi_surface/communes/00070").json()
        assert 40 <= mean["min"] <= mean["mean"] <= mean["max"] <= 450
    finally:  # other tests expect the demo stations as they were
        with psycopg.connect(to_libpq_url(database_url)) as conn:
            conn.execute(
                "DELETE FROM sensor.aqi_hourly WHERE station_id = %s AND aqi = 450",
                (demo_stations["WEBAIR1"],),
            )
            conn.commit()
