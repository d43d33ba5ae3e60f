"""Synthetic parcels in real Hà Nội communes: inside, valid, sheets, codes, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely

from gis.errors import InvalidInput, NotFound
from gis.settings import to_libpq_url
from gis.synth import allocate, synth_parcels
from gis.synth.sheets import sheet_count
from gis.synth.table import FIELDS

pytestmark = pytest.mark.usefixtures("admin_loaded")

#: Xã Thanh Trì (Hà Nội): a rural commune no other test area imports parcels into.
COMMUNE = "00640"
SRID = 5897
COUNT = 700


@pytest.fixture(scope="module")
def generated(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    """700 parcels of Xã Thanh Trì (seed 7), as written and read back."""
    path = tmp_path_factory.mktemp("synth") / "thanh_tri.gpkg"
    summary = synth_parcels(path, COUNT, communes=[COMMUNE], seed=7, url=database_url)
    return summary, pyogrio.read_dataframe(path, layer="parcels")


def boundary(database_url: str, code: str, srid: int) -> shapely.Geometry:
    """A commune's boundary in ``srid``, as PostGIS transforms it."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        row = conn.execute(
            "SELECT ST_AsBinary(ST_Transform(geom, %s)) FROM admin.communes WHERE code = %s",
            (srid, code),
        ).fetchone()
    return shapely.from_wkb(row[0])


def test_exact_count_fields_and_crs(generated):
    summary, frame = generated
    assert summary.count == COUNT == len(frame)
    assert [(la.name, la.srid, la.count) for la in summary.layers] == [("parcels", SRID, COUNT)]
    assert list(frame.columns) == [*FIELDS, "geometry"]
    assert frame.crs.to_epsg() == SRID
    assert (frame["commune_code"] == COMMUNE).all()


def test_parcels_valid_inside_and_not_overlapping(generated, database_url):
    _, frame = generated
    geoms = frame.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 6).all()  # MultiPolygon, one part each
    assert (shapely.get_num_geometries(geoms) == 1).all()
    commune = boundary(database_url, COMMUNE, SRID)
    assert shapely.within(geoms, shapely.buffer(commune, 0.01)).all()
    assert shapely.within(shapely.point_on_surface(geoms), commune).all()
    areas = shapely.area(geoms)
    assert areas.min() > 5.0
    union = shapely.area(shapely.union_all(geoms))
    assert union == pytest.approx(areas.sum(), rel=1e-6)  # a partition: no overlaps
    assert union > 0.85 * commune.area  # and it covers the commune (slivers aside)


def test_sheets_contiguous_and_numbered(generated):
    _, frame = generated
    sizes = frame.groupby("sheet_number").size()
    assert list(sizes.index) == list(range(1, len(sizes) + 1))
    assert sizes.between(300, 500).all()
    for sheet, group in frame.groupby("sheet_number"):
        numbers = np.sort(group["parcel_number"].to_numpy())
        assert (numbers == np.arange(1, len(group) + 1)).all(), sheet
        patch = shapely.union_all(shapely.buffer(group.geometry.to_numpy(), 1.0))
        assert shapely.get_num_geometries(patch) <= 3, f"sheet {sheet} is scattered"
        others = frame[frame["sheet_number"] != sheet].geometry.to_numpy()
        inner = shapely.buffer(patch, -30.0)  # sheets do not interleave
        assert shapely.area(shapely.intersection(inner, shapely.union_all(others))) < 1.0


def test_land_use_codes_official_and_mix_plausible(generated, database_url):
    _, frame = generated
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        official = {r[0] for r in conn.execute("SELECT code FROM land.land_use_codes")}
    parts = frame["land_use"].str.split(";").explode().str.split(":").str[0]
    assert set(parts) <= official
    first = frame["land_use"].str.split(":").str[0]
    share = first.value_counts(normalize=True)
    assert share.get("ONT", 0) > 0.2  # rural commune: house lots along the roads
    assert share.get("DGT", 0) > 0.01  # road parcels
    assert {"LUC", "CLN", "HNK"} <= set(share.index)  # fields and gardens
    assert "ODT" not in share.index  # urban residential only in wards


def test_multi_purpose_areas_add_up(generated):
    _, frame = generated
    multi = frame[frame["land_use"].str.contains(";")]
    assert len(multi) > 0
    for text, geom in zip(multi["land_use"], multi.geometry, strict=True):
        total = sum(float(p.split(":")[1]) for p in text.split(";"))
        assert total == pytest.approx(round(geom.area, 1), abs=0.051)


def test_personal_data_is_marked_synthetic(generated):
    _, frame = generated
    users = frame.dropna(subset=["user_name"])
    assert len(users) > COUNT / 3
    names = users["user_name"].str.split("|").explode()
    ids = users["user_id_number"].str.split("|").explode()
    assert names.str.endswith("(giả lập)").all()
    assert ids.str.startswith("SYN").all()
    assert (users["user_name"].str.count(r"\|") == users["user_id_number"].str.count(r"\|")).all()
    assert frame["certificate_number"].dropna().str.startswith("SYN").all()
    assert frame["certificate_number"].dropna().is_unique
    # One ID, one person: the same ID always carries the same name.
    pairs = pd.DataFrame({"id": ids.to_numpy(), "name": names.to_numpy()}).drop_duplicates()
    assert pairs["id"].is_unique


def test_deterministic_per_seed(generated, database_url, tmp_path):
    _, frame = generated
    again = synth_parcels(tmp_path / "a.gpkg", COUNT, communes=[COMMUNE], seed=7, url=database_url)
    other = synth_parcels(tmp_path / "b.gpkg", COUNT, communes=[COMMUNE], seed=8, url=database_url)
    same = pyogrio.read_dataframe(again.path)
    different = pyogrio.read_dataframe(other.path)
    pd.testing.assert_frame_equal(same.drop(columns="geometry"), frame.drop(columns="geometry"))
    assert (shapely.to_wkb(same.geometry.values) == shapely.to_wkb(frame.geometry.values)).all()
    assert len(different) == COUNT
    assert not shapely.equals(different.geometry.values, frame.geometry.values).all()


def test_parcel_size_adapts_to_count(database_url, tmp_path):
    small = synth_parcels(tmp_path / "s.gpkg", 150, communes=[COMMUNE], url=database_url)
    large = synth_parcels(tmp_path / "l.gpkg", 2400, communes=[COMMUNE], url=database_url)
    a_small = shapely.area(pyogrio.read_dataframe(small.path).geometry.values).mean()
    a_large = shapely.area(pyogrio.read_dataframe(large.path).geometry.values).mean()
    assert a_small / a_large == pytest.approx(16, rel=0.15)


def test_several_zones_one_layer_each(database_url, tmp_path):
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (tm3_srid) code, tm3_srid FROM admin.communes"
            " WHERE province_code = '25' ORDER BY tm3_srid, code"
        ).fetchall()
    assert len(rows) >= 2  # Phú Thọ merged provinces drawn in different zones
    codes = [r[0] for r in rows]
    summary = synth_parcels(tmp_path / "pt.gpkg", 900, communes=codes, url=database_url)
    assert sum(la.count for la in summary.layers) == 900
    assert sorted(la.srid for la in summary.layers) == sorted(r[1] for r in rows)
    for la in summary.layers:
        frame = pyogrio.read_dataframe(summary.path, layer=la.name)
        assert la.name == f"parcels_{la.srid}" and frame.crs.to_epsg() == la.srid
        assert len(frame) == la.count and set(frame["commune_code"]) == set(la.communes)


def test_bad_requests(database_url, tmp_path):
    kept = tmp_path / "x.gpkg"
    kept.write_bytes(b"an earlier file")
    with pytest.raises(NotFound, match="99999"):
        synth_parcels(tmp_path / "x.gpkg", 10, communes=["99999"], url=database_url)
    with pytest.raises(NotFound, match="province"):
        synth_parcels(tmp_path / "x.gpkg", 10, province="00", url=database_url)
    with pytest.raises(InvalidInput, match="GeoPackage"):
        synth_parcels(tmp_path / "x.shp", 10, communes=[COMMUNE], url=database_url)
    with pytest.raises(InvalidInput, match="at least 1"):
        synth_parcels(tmp_path / "x.gpkg", 0, communes=[COMMUNE], url=database_url)
    with pytest.raises(InvalidInput, match="commune"):
        synth_parcels(tmp_path / "x.gpkg", 10, url=database_url)
    assert kept.read_bytes() == b"an earlier file"  # a failed run loses nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.gpkg"]


def test_allocate_largest_remainder():
    shares = allocate(1000, [1.0, 1.0, 1.0])
    assert shares.sum() == 1000 and sorted(shares) == [333, 333, 334]
    assert list(allocate(10, [0.7, 0.2, 0.1])) == [7, 2, 1]
    with pytest.raises(InvalidInput):
        allocate(10, [])


def test_sheet_sizes_stay_in_range_whenever_possible():
    for n in range(1, 501):
        assert sheet_count(n) == 1
    for n in range(600, 30_000, 7):
        assert 300 <= n / sheet_count(n) <= 500, n


def test_tiny_counts_and_a_whole_province(database_url, tmp_path):
    for n in (1, 3):
        summary = synth_parcels(tmp_path / f"{n}.gpkg", n, communes=[COMMUNE], url=database_url)
        frame = pyogrio.read_dataframe(summary.path)
        assert len(frame) == n and shapely.is_valid(frame.geometry.values).all()
    summary = synth_parcels(tmp_path / "hn.gpkg", 50, province="01", url=database_url)
    frame = pyogrio.read_dataframe(summary.path)
    assert len(frame) == summary.count == 50
    assert set(frame["commune_code"]) == set(summary.layers[0].communes)
    assert 20 <= frame["commune_code"].nunique() <= 50  # shared by area; most get none or one
