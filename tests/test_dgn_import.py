"""DGN V7 sheets made with GDAL from synthetic parcels: import, problem report, round trip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely

from gis.dgn.build import (
    P_AREA,
    P_DANGLE,
    P_DUPLICATE,
    P_ENCODING,
    P_OUTSIDE,
    P_TWO_LABELS,
    P_UNLABELLED,
)
from gis.dgn.export import Element, export_dgn, write_dgn
from gis.dgn.importer import import_dgn
from gis.dgn.sheet import BOUNDARY_LEVEL, LABEL_LEVEL
from gis.dgn.vnfonts import Encoding, encode_label
from gis.errors import ImportFileError
from gis.settings import to_libpq_url
from tests.fixtures.land import SAMPLE_COMMUNE, SAMPLE_SRID

CRS = f"EPSG:{SAMPLE_SRID}"
CODES = ("ODT", "CLN", "TMD", "DGD", "ODT", "SKC")


def _cells(boundary: shapely.Geometry, count: int, start: int) -> list[shapely.Polygon]:
    """20 m squares on a millimetre grid (what a DGN in mm keeps exactly), side by side.

    Counted from the north end of the commune, away from the other modules' cells.
    """
    inner = boundary.buffer(-100)
    minx, miny, maxx, maxy = (round(v) for v in inner.bounds)
    cells = [shapely.box(x, y, x + 20, y + 20)
             for y in range(miny, maxy - 20, 20) for x in range(minx, maxx - 20, 20)]
    cells = [c for c in cells if c.within(inner)][::-1][start:start + count]
    assert len(cells) == count
    return cells


def _sheet_elements(
    cells: list[shapely.Polygon], encoding: Encoding, note: str | None = "Đất ở",
) -> list[Element]:
    """Boundaries on level 10 and stacked labels (number, code, area, a note) in each cell."""
    out: list[Element] = []
    for i, cell in enumerate(cells):
        out += [(shapely.LineString(cell.exterior.coords), BOUNDARY_LEVEL, None)]
        c = cell.centroid
        lines = [str(i + 1), CODES[i % len(CODES)], f"{cell.area:.1f}"]
        if note:
            lines.append(note)
        for k, text in enumerate(lines):
            out.append((shapely.Point(c.x, c.y + 4 - 2.5 * k), LABEL_LEVEL,
                        encode_label(text, encoding)))
    return out


@pytest.fixture(scope="module")
def cells(sample_boundary: shapely.Geometry) -> list[shapely.Polygon]:
    return _cells(sample_boundary, 104, start=0)


def _db(url: str) -> psycopg.Connection:
    return psycopg.connect(to_libpq_url(url))


@pytest.mark.parametrize(("encoding", "sheet"), [("tcvn3", 701), ("vni", 702), ("unicode", 703)])
def test_clean_sheet_imports_every_parcel(
    database_url: str, admin_loaded: object, cells: list[shapely.Polygon], tmp_path: Path,
    encoding: Encoding, sheet: int,
) -> None:
    part = cells[(sheet - 701) * 20:(sheet - 700) * 20]
    path = tmp_path / f"to_{sheet}.dgn"
    write_dgn(_sheet_elements(part, encoding), path)
    report = import_dgn(path, CRS, commune=SAMPLE_COMMUNE, url=database_url)
    assert report.sheet_number == sheet  # from the file name
    assert report.encoding == encoding
    assert report.problems == []
    assert report.summary is not None and report.summary.added == 20
    with _db(database_url) as conn:
        rows = conn.execute(
            "SELECT p.parcel_number, pp.land_use_code, p.legal_area_m2, i.source"
            " FROM land.parcels p JOIN land.parcel_purposes pp ON pp.parcel_id = p.id"
            " JOIN land.imports i ON i.id = p.import_id"
            " WHERE p.commune_code = %s AND p.sheet_number = %s AND p.valid_to IS NULL"
            " ORDER BY 1", (SAMPLE_COMMUNE, sheet)).fetchall()
    assert [(r[0], r[1], float(r[2])) for r in rows] == [
        (i + 1, CODES[i % len(CODES)], 400.0) for i in range(20)
    ]
    assert {r[3] for r in rows} == {path.name}


@pytest.fixture(scope="module")
def problem_sheet(cells: list[shapely.Polygon], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sheet with one of every problem the report knows, beside 8 good parcels."""
    good = _sheet_elements(cells[60:68], "tcvn3", note=None)
    a, b, c, d, e, f = cells[68:74]
    out = list(good)
    # a: a polygon without any label
    out.append((shapely.LineString(a.exterior.coords), BOUNDARY_LEVEL, None))
    # b: two labels in one polygon
    out.append((shapely.LineString(b.exterior.coords), BOUNDARY_LEVEL, None))
    out += [(shapely.Point(b.centroid.x - 5, b.centroid.y + 5), LABEL_LEVEL, b"9/ODT/400.0"),
            (shapely.Point(b.centroid.x + 5, b.centroid.y - 5), LABEL_LEVEL, b"10/CLN/400.0")]
    # c: stated area far from the drawing
    out.append((shapely.LineString(c.exterior.coords), BOUNDARY_LEVEL, None))
    out.append((c.centroid, LABEL_LEVEL, b"11/ODT/350.0"))
    # d: number 1 again (a duplicate of the first good parcel)
    out.append((shapely.LineString(d.exterior.coords), BOUNDARY_LEVEL, None))
    out.append((d.centroid, LABEL_LEVEL, b"1/ODT/400.0"))
    # e: label bytes valid in no encoding
    out.append((shapely.LineString(e.exterior.coords), BOUNDARY_LEVEL, None))
    out.append((e.centroid, LABEL_LEVEL, b"\x81\x8e\x8f"))
    # f: an unclosed boundary (three sides only) with its label outside every polygon
    x0, y0, x1, y1 = f.bounds
    far = shapely.LineString([(x0 + 200, y0), (x1 + 200, y0), (x1 + 200, y1), (x0 + 200, y1)])
    out.append((far, BOUNDARY_LEVEL, None))
    out.append((shapely.Point(x0 + 210, y0 + 10), LABEL_LEVEL, b"12/ODT/400.0"))
    path = tmp_path_factory.mktemp("dgn") / "to_710.dgn"
    write_dgn(out, path)
    return path


def test_problem_report(database_url: str, admin_loaded: object, problem_sheet: Path,
                        tmp_path: Path) -> None:
    gpkg = tmp_path / "problems.gpkg"
    report = import_dgn(problem_sheet, CRS, commune=SAMPLE_COMMUNE, url=database_url,
                        problems_out=gpkg)
    counts = report.counts()
    assert counts == {P_UNLABELLED: 1, P_OUTSIDE: 1, P_TWO_LABELS: 1, P_DANGLE: 1,
                      P_ENCODING: 1, P_DUPLICATE: 2, P_AREA: 1}
    assert report.summary is not None, report
    assert report.summary.added == 7, report.summary  # 8 good, 1 duplicated
    with _db(database_url) as conn:
        reasons = [r[0] for r in conn.execute(
            "SELECT reason FROM land.import_rejects WHERE import_id = %s ORDER BY id",
            (report.summary.import_id,)).fetchall()]
    assert sorted(r.split(":")[0] for r in reasons) == sorted(
        k for k, n in counts.items() for _ in range(n))
    assert any("label 350.0 m², computed 400.00 m²" in r for r in reasons)
    points = gpd.read_file(gpkg, layer="problem_points")
    lines = gpd.read_file(gpkg, layer="problem_lines")
    assert len(points) + len(lines) == sum(counts.values())
    assert list(lines["kind"]) == [P_DANGLE]
    assert points.crs.to_epsg() == SAMPLE_SRID


def test_v8_and_non_dgn_refused(tmp_path: Path) -> None:
    v8 = tmp_path / "sheet_v8.dgn"
    v8.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    with pytest.raises(ImportFileError, match=r"V8.*Save As.*V7"):
        import_dgn(v8, CRS, commune=SAMPLE_COMMUNE)
    junk = tmp_path / "notes_3.dgn"
    junk.write_text("not a design file")
    with pytest.raises(ImportFileError, match="not a MicroStation DGN V7"):
        import_dgn(junk, CRS, commune=SAMPLE_COMMUNE)


def test_export_round_trip(database_url: str, admin_loaded: object,
                           cells: list[shapely.Polygon], tmp_path: Path) -> None:
    """Export a sheet and import the file again: every parcel comes back unchanged."""
    source = tmp_path / "to_720.dgn"
    write_dgn(_sheet_elements(cells[74:94], "unicode"), source)
    import_dgn(source, CRS, commune=SAMPLE_COMMUNE, url=database_url)
    with _db(database_url) as conn:
        before = conn.execute(_SHEET, (SAMPLE_COMMUNE, 720)).fetchall()
    exported = tmp_path / "export_720.dgn"
    assert export_dgn(SAMPLE_COMMUNE, 720, exported, url=database_url) == 20
    report = import_dgn(exported, CRS, commune=SAMPLE_COMMUNE, sheet=720, url=database_url)
    assert report.problems == [] and report.encoding == "unicode"  # the labels are ASCII
    assert report.summary is not None
    assert (report.summary.unchanged, report.summary.added) == (20, 0), report.summary
    with _db(database_url) as conn:
        after = conn.execute(_SHEET, (SAMPLE_COMMUNE, 720)).fetchall()
    assert before == after


_SHEET = (
    "SELECT p.parcel_number, string_agg(pp.land_use_code, ';'), p.legal_area_m2,"
    " ST_AsText(p.geom_native), p.parcel_code FROM land.parcels p"
    " JOIN land.parcel_purposes pp ON pp.parcel_id = p.id"
    " WHERE p.commune_code = %s AND p.sheet_number = %s AND p.valid_to IS NULL"
    " GROUP BY p.id ORDER BY 1"
)


def test_cli_import_and_export(database_url: str, admin_loaded: object,
                               cells: list[shapely.Polygon], tmp_path: Path) -> None:
    env = {"IOC_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    sheet = tmp_path / "to_730.dgn"
    write_dgn(_sheet_elements(cells[94:104], "tcvn3"), sheet)
    cli = [str(Path(sys.executable).with_name("iocgis"))]
    done = subprocess.run([*cli, "parcels", "import", str(sheet), "--crs", CRS,
                           "--commune", SAMPLE_COMMUNE], capture_output=True, text=True, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "sheet 730 (to_730.dgn): 10 polygons, 40 labels (tcvn3), 10 parcels read" in done.stdout
    out = tmp_path / "out.dgn"
    done = subprocess.run([*cli, "parcels", "export", "--format", "dgn", "--commune",
                           SAMPLE_COMMUNE, "--sheet", "730", "--out", str(out)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:2] == b"\x08\x09"
    v8 = tmp_path / "v8.dgn"
    v8.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    done = subprocess.run([*cli, "parcels", "import", str(v8), "--crs", CRS, "--commune",
                           SAMPLE_COMMUNE, "--sheet", "1"], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 2 and "MicroStation V7 DGN" in done.stderr
    assert "Traceback" not in done.stderr
