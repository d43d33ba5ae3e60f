"""Splits and merges on real PostGIS: new numbers, codes, areas, lineage, NOTIFY, every refusal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
import shapely

from gis.errors import NotFound, Refused
from gis.parcels.code import parcel_code
from gis.parcels.history import edit_parcel
from gis.parcels.importer import import_parcels
from gis.parcels.lineage import lineage
from gis.parcels.queries import get_parcel
from gis.parcels.split import Actor, Piece, merge_parcels, split_parcel
from gis.parcels.split_rules import Minimum, set_minimum
from gis.settings import to_libpq_url
from tests.fixtures.land import commune_native, grid_parcels

SRID = 5897
SHEET = 301
COUNT = 40
ACTOR = Actor("test-officer")


@pytest.fixture(scope="module")
def db(database_url: str, admin_loaded: object) -> Iterator[psycopg.Connection]:
    """An autocommit connection for the module's reads and settings."""
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def commune(db: psycopg.Connection, database_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> str:
    """40 parcels (20 m squares) on one sheet of a Hà Nội ward, and the city's minimums."""
    row = db.execute(
        "SELECT code FROM admin.communes WHERE province_code = '01' AND kind = 'phuong'"
        " AND tm3_srid = %s AND area_km2 BETWEEN 3 AND 40 ORDER BY code DESC LIMIT 1",
        (SRID,),
    ).fetchone()
    assert row is not None
    code = str(row[0])
    boundary = commune_native(database_url, code, SRID)
    frame = grid_parcels(boundary, COUNT, commune=code, srid=SRID, per_sheet=COUNT,
                         first_sheet=SHEET)
    # A block of 20 columns × 2 rows: parcel n and n + 1 share a side (n ≠ 20).
    x0, y0 = frame.geometry.iloc[0].bounds[:2]
    k = np.arange(COUNT)
    frame = frame.set_geometry(shapely.box(x0 + 20 * (k % 20), y0 + 20 * (k // 20),
                                           x0 + 20 * (k % 20 + 1), y0 + 20 * (k // 20 + 1)))
    assert shapely.within(frame.geometry, boundary).all()
    path = tmp_path_factory.mktemp("split") / "parcels.gpkg"
    frame.to_file(path, driver="GPKG")
    assert import_parcels(path, f"EPSG:{SRID}", url=database_url).added == COUNT
    for use in ("ODT", "CLN", "TMD"):  # DGD, DVH, SKC: none set
        set_minimum(db, Minimum("01", use, 30.0, 3.0, 3.0, "test settings"))
    return code


def geom(db: psycopg.Connection, commune: str, number: int) -> shapely.Polygon:
    """The current outline of a parcel of the test sheet, in EPSG:5897."""
    row = db.execute(
        "SELECT ST_AsBinary(geom_native) FROM land.parcels WHERE commune_code = %s"
        " AND sheet_number = %s AND parcel_number = %s AND valid_to IS NULL",
        (commune, SHEET, number),
    ).fetchone()
    assert row is not None
    g = shapely.from_wkb(bytes(row[0]))
    return g.geoms[0]


def halves(poly: shapely.Polygon, at: float) -> list[Piece]:
    """Cut a square parcel into west/east parts, ``at`` metres from its west side."""
    x0, y0, x1, y1 = poly.bounds
    return [Piece(shapely.box(x0, y0, x0 + at, y1)), Piece(shapely.box(x0 + at, y0, x1, y1))]


def current_count(db: psycopg.Connection, commune: str) -> int:
    """Current parcels of the test sheet."""
    row = db.execute("SELECT count(*) FROM land.parcels WHERE commune_code = %s"
                     " AND sheet_number = %s AND valid_to IS NULL", (commune, SHEET)).fetchone()
    return int(row[0]) if row else 0


def test_split_by_line_then_merge_back(db: psycopg.Connection, commune: str,
                                       database_url: str) -> None:
    original = geom(db, commune, 1)  # ODT, two land users
    before = get_parcel(commune, SHEET, 1, with_users=True)[0]
    x0, y0, _, y1 = original.bounds
    line = shapely.LineString([(x0 + 8, y0 - 5), (x0 + 8, y1 + 5)])
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as listener:
        listener.execute("LISTEN iocgis_layers_changed")
        op_id, made = split_parcel(commune, SHEET, 1, None, ACTOR, line=line)
        notes = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert notes and json.loads(notes[0])["source"] == "parcels"
    assert [p.parcel_number for p in made] == [COUNT + 1, COUNT + 2]
    assert sorted(p.legal_area_m2 for p in made) == [160.0, 240.0]
    for p in made:
        assert p.parcel_code == parcel_code(geom(db, commune, p.parcel_number), SRID)
        assert [(q.code, q.area_m2, q.term) for q in p.purposes] == [
            ("ODT", p.legal_area_m2, before.purposes[0].term)]
        assert get_parcel(commune, SHEET, p.parcel_number, with_users=True)[0].users == \
            before.users
    with pytest.raises(NotFound):
        get_parcel(commune, SHEET, 1)
    tree = lineage(commune, SHEET, 1, db)
    assert {c["parcel"] for c in tree["children"]} == {
        f"{commune}/{SHEET}/{COUNT + 1}", f"{commune}/{SHEET}/{COUNT + 2}"}
    assert tree["children"][0]["operation_id"] == op_id
    ops = db.execute("SELECT kind, subject FROM land.parcel_operations WHERE id = %s",
                     (op_id,)).fetchone()
    assert ops == ("split", "test-officer")

    op2, (merged,) = merge_parcels(commune, SHEET, [COUNT + 1, COUNT + 2], ACTOR)
    assert merged.parcel_number == COUNT + 3 and merged.legal_area_m2 == 400.0
    back = geom(db, commune, COUNT + 3)
    assert back.symmetric_difference(original).area < 1e-6
    assert merged.parcel_code == parcel_code(back, SRID)
    assert merged.old_parcel_number == f"{COUNT + 1},{COUNT + 2}"
    up = lineage(commune, SHEET, COUNT + 3, db)
    assert sorted(p["parcel"] for p in up["parents"]) == sorted(
        f"{commune}/{SHEET}/{n}" for n in (COUNT + 1, COUNT + 2))
    assert {p["operation_id"] for p in up["parents"]} == {op2}
    assert lineage(commune, SHEET, COUNT + 1, db)["parents"][0]["parcel"] == \
        f"{commune}/{SHEET}/1"


def test_split_geometries_with_purposes_and_a_small_piece_merged(
    db: psycopg.Connection, commune: str
) -> None:
    # Parcel 2 is ODT 300 + CLN 100: each piece says its purposes.
    poly = geom(db, commune, 2)
    west, east = halves(poly, 10)
    with pytest.raises(Refused, match="several purposes"):
        split_parcel(commune, SHEET, 2, [west, east], ACTOR)
    _, made = split_parcel(commune, SHEET, 2, [
        Piece(west.geometry, "ODT"), Piece(east.geometry, "ODT:100;CLN:100")], ACTOR)
    assert [[(q.code, q.area_m2) for q in p.purposes] for p in made] == [
        [("ODT", 200.0)], [("CLN", 100.0), ("ODT", 100.0)]]
    # A 2 m strip of parcel 5 (below 30 m² wide 3 m) joins its neighbour 4 at once.
    p4, p5 = geom(db, commune, 4), geom(db, commune, 5)
    assert p4.intersection(p5).length > 19.9, "grid cells 4 and 5 are neighbours"
    x0, y0, x1, y1 = p5.bounds
    strip = Piece(shapely.box(x0, y0, x0 + 1.2, y1), merge_with=4)
    with pytest.raises(Refused, match="below the minimum"):
        split_parcel(commune, SHEET, 5, [Piece(strip.geometry),
                                         Piece(shapely.box(x0 + 1.2, y0, x1, y1))], ACTOR)
    _, made = split_parcel(commune, SHEET, 5, [strip, Piece(shapely.box(x0 + 1.2, y0, x1, y1))],
                           ACTOR)
    assert [p.legal_area_m2 for p in made] == [424.0, 376.0]
    assert {p["parcel"] for p in lineage(commune, SHEET, made[0].parcel_number, db)["parents"]} \
        == {f"{commune}/{SHEET}/4", f"{commune}/{SHEET}/5"}


@pytest.mark.parametrize("case", [
    "one piece", "overlap", "gap", "beyond", "invalid", "area", "width", "no minimum", "line",
])
def test_split_refusals_leave_everything_as_it_was(
    db: psycopg.Connection, commune: str, case: str
) -> None:
    number = 3 if case == "no minimum" else 8  # 3: DGD has no minimum set; 8: ODT
    poly = geom(db, commune, number)
    x0, y0, x1, y1 = poly.bounds
    west, east = (p.geometry for p in halves(poly, 10))
    pieces = {
        "one piece": [poly],
        "overlap": [shapely.box(x0, y0, x0 + 11, y1), east],
        "gap": [shapely.box(x0, y0, x0 + 9, y1), east],
        "beyond": [west, shapely.box(x0 + 10, y0, x1 + 1, y1)],
        "invalid": [shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)]), east],
        "area": [shapely.box(x0, y0, x0 + 1, y1), shapely.box(x0 + 1, y0, x1, y1)],
        "width": [shapely.box(x0, y0, x1, y0 + 2.5), shapely.box(x0, y0 + 2.5, x1, y1)],
        "no minimum": [west, east],
    }
    reasons = {
        "one piece": "at least two", "overlap": "overlap by 20.00 m²",
        "gap": "leave 20.00 m² of the parcel uncovered", "beyond": "20.00 m² beyond",
        "invalid": "not a valid polygon", "area": "20.0 m², below the minimum 30.0",
        "width": "2.50 m wide, below the minimum 3.00", "no minimum": "no minimum area is set",
        "line": "does not cross the parcel",
    }
    n = current_count(db, commune)
    with pytest.raises(Refused, match=reasons[case]):
        if case == "line":
            split_parcel(commune, SHEET, number, None, ACTOR,
                         line=shapely.LineString([(x0 + 5, y0 + 5), (x0 + 5, y1 + 5)]))
        else:
            split_parcel(commune, SHEET, number, [Piece(g) for g in pieces[case]], ACTOR)
    assert current_count(db, commune) == n
    assert geom(db, commune, number).equals(poly)


def test_merge_refusals(db: psycopg.Connection, commune: str) -> None:
    with pytest.raises(Refused, match="at least two"):
        merge_parcels(commune, SHEET, [10], ACTOR)
    with pytest.raises(Refused, match="named twice"):
        merge_parcels(commune, SHEET, [10, 10], ACTOR)
    with pytest.raises(NotFound):
        merge_parcels(commune, SHEET, [10, 999], ACTOR)
    far = next(n for n in range(20, COUNT) if geom(db, commune, n).distance(
        geom(db, commune, 10)) > 1)
    with pytest.raises(Refused, match=f"parcel {far} is not adjacent to parcel 10"):
        merge_parcels(commune, SHEET, [10, far], ACTOR)
    assert geom(db, commune, 10).intersection(geom(db, commune, 11)).length > 19.9
    edit_parcel(commune, SHEET, 11, term="50 năm")
    with pytest.raises(Refused, match="different terms or origins"):
        merge_parcels(commune, SHEET, [10, 11], ACTOR)
    n = current_count(db, commune)
    with pytest.raises(Refused):
        merge_parcels(commune, SHEET, [19, 20], ACTOR)  # DGD 400 + TMD 400: DGD has none
    assert current_count(db, commune) == n


def test_merge_of_three_sums_purposes(db: psycopg.Connection, commune: str) -> None:
    parts = [geom(db, commune, n) for n in (16, 17, 18)]  # ODT, ODT, ODT 300 + CLN 100
    assert parts[0].intersection(parts[1]).length > 19.9
    assert parts[1].intersection(parts[2]).length > 19.9
    _, (merged,) = merge_parcels(commune, SHEET, [18, 16, 17], ACTOR)
    assert merged.legal_area_m2 == 1200.0
    assert [(q.code, q.area_m2) for q in merged.purposes] == [("ODT", 1100.0), ("CLN", 100.0)]
    assert merged.address == get_parcel(commune, SHEET, 18, history=True)[0].address
    assert merged.old_parcel_number == "18,16,17"


def test_more_split_refusals(db: psycopg.Connection, commune: str) -> None:
    poly = geom(db, commune, 8)  # ODT, kept as it is by every refusal
    west, east = (p.geometry for p in halves(poly, 10))
    cases = [
        ([Piece(west, merge_with=8), Piece(east)], "cannot merge with the parcel being split"),
        ([Piece(west, merge_with=7), Piece(east, merge_with=7)], "the same neighbour"),
        ([Piece(west, merge_with=30), Piece(east)], "is not adjacent"),
    ]
    for pieces, reason in cases:
        with pytest.raises(Refused, match=reason):
            split_parcel(commune, SHEET, 8, pieces, ACTOR)
    with pytest.raises(Refused, match="not both"):
        split_parcel(commune, SHEET, 8, [Piece(west), Piece(east)], ACTOR,
                     line=shapely.LineString([(0, 0), (1, 1)]))
    # A depth minimum: halves of a 20 m square are 20 m deep, below 25 m.
    set_minimum(db, Minimum("01", "SKC", 30.0, None, 25.0, "test settings"))
    x0, y0, x1, y1 = geom(db, commune, 7).bounds  # SKC
    with pytest.raises(Refused, match=re.escape("20.00 m deep, below the minimum 25.00")):
        split_parcel(commune, SHEET, 7, [Piece(shapely.box(x0, y0, x0 + 10, y1)),
                                         Piece(shapely.box(x0 + 10, y0, x1, y1))], ACTOR)
    assert geom(db, commune, 8).equals(poly)
