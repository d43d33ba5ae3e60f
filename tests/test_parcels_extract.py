"""The cadastral extract PDF: read back with pdftotext, rendered with pdftoppm."""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import psycopg
import pytest
import shapely
from PIL import Image

from gis.parcels.extract import extract_pdf
from gis.parcels.extract_map import choose_scale, vertices
from gis.parcels.importer import import_parcels
from gis.settings import to_libpq_url
from tests.fixtures.land import commune_native, grid_parcels

SRID = 5897
SHEET = 311
#: The middle parcel (number 5) is a house shape; its vertices clockwise from the north-west.
HOUSE = [(0, 15), (10, 20), (20, 15), (20, 0), (0, 0)]


@pytest.fixture(scope="module")
def placed(database_url: str, admin_loaded: object,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[psycopg.Connection, str,
                                                                       tuple[float, float]]]:
    """A 3 × 3 block of parcels in a Hà Nội ward; returns (connection, commune, origin)."""
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as db:
        row = db.execute(
            "SELECT code FROM admin.communes WHERE province_code = '01' AND kind = 'phuong'"
            " AND tm3_srid = %s AND area_km2 BETWEEN 3 AND 40 ORDER BY code DESC OFFSET 1"
            " LIMIT 1", (SRID,)).fetchone()
        assert row is not None
        commune = str(row[0])
        frame = grid_parcels(commune_native(database_url, commune, SRID), 9, commune=commune,
                             srid=SRID, per_sheet=9, first_sheet=SHEET)
        x0, y0 = (round(v) + 0.123 for v in frame.geometry.iloc[0].bounds[:2])
        k = np.arange(9)
        cells = list(shapely.box(x0 + 20 * (k % 3), y0 + 20 * (k // 3), x0 + 20 * (k % 3 + 1),
                                 y0 + 20 * (k // 3 + 1)))
        cells[4] = shapely.Polygon([(x0 + 20 + a, y0 + 20 + b) for a, b in HOUSE])
        frame = frame.set_geometry(cells, crs=f"EPSG:{SRID}")
        frame["land_use"] = "ODT"
        path = tmp_path_factory.mktemp("extract") / "block.gpkg"
        frame.to_file(path, driver="GPKG")
        assert import_parcels(path, f"EPSG:{SRID}", url=database_url).added == 9
        yield db, commune, (x0 + 20, y0 + 20)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext lays it out."""
    path = tmp_path / "extract.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def vn(value: float, decimals: int) -> str:
    """Decimal comma, as the extract prints numbers."""
    return f"{value:.{decimals}f}".replace(".", ",")


def test_extract_numbers_read_back(placed: tuple[psycopg.Connection, str, tuple[float, float]],
                                   tmp_path: Path) -> None:
    db, commune, (ox, oy) = placed
    pdf = extract_pdf(db, commune, SHEET, 5, issued=date(2026, 12, 2))
    text = pdf_text(pdf, tmp_path)
    code, area = db.execute(
        "SELECT parcel_code, legal_area_m2 FROM land.parcels WHERE commune_code = %s"
        " AND sheet_number = %s AND parcel_number = 5 AND valid_to IS NULL",
        (commune, SHEET)).fetchone()  # type: ignore[misc]
    assert f"Mã thửa đất: {code}" in text
    assert text.count(code) >= 2  # the particulars and the caption of the QR code
    assert f"Diện tích: {vn(float(area), 1)} m²" in text and float(area) == 350.0
    assert "Thửa đất số: 5" in text and "Tờ bản đồ số: 311" in text
    assert "ODT – Đất ở tại đô thị" in text
    assert "kinh tuyến trục 105°00′, EPSG:5897" in text
    assert "tỉ lệ 1:500" in text and "Tỉ lệ 1:500" in text
    assert "ngày 02 tháng 12 năm 2026" in text
    rows = re.findall(r"^\s*(\d+)\s+(\d+,\d{2})\s+(\d+,\d{2})\s+(\d+)–(\d+)\s+(\d+,\d{2})\s*$",
                      text, re.M)
    assert len(rows) == len(HOUSE)
    for i, (a, b) in enumerate(HOUSE):
        n, x_text, y_text, frm, to, length = rows[i]
        na, nb = HOUSE[(i + 1) % len(HOUSE)]
        assert (int(n), int(frm), int(to)) == (i + 1, i + 1, (i + 1) % len(HOUSE) + 1)
        assert x_text == vn(oy + b, 2) and y_text == vn(ox + a, 2)  # X north, Y east
        assert length == vn(math.hypot(na - a, nb - b), 2)
    # Land users only when asked for (the land role).
    assert "Người sử dụng đất" not in text and "giả lập" not in text
    with_users = pdf_text(extract_pdf(db, commune, SHEET, 5, with_users=True), tmp_path)
    assert "Người sử dụng đất: Người 4 (giả lập) (số định danh SYN000000004)" in with_users


def test_extract_renders_one_a4_page(
    placed: tuple[psycopg.Connection, str, tuple[float, float]], tmp_path: Path
) -> None:
    db, commune, _ = placed
    path = tmp_path / "extract.pdf"
    path.write_bytes(extract_pdf(db, commune, SHEET, 5, with_users=True))
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"Pages:\s+1\b", info)
    assert "595.276 x 841.89 pts (A4)" in info
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(path),
                    str(tmp_path / "extract")], check=True)
    with Image.open(tmp_path / "extract.png") as image:
        width, height = image.size  # A4 at 110 dpi, give or take a pixel of rounding
        assert abs(width - 910) <= 1 and abs(height - 1286) <= 1
        pixels = np.asarray(image.convert("RGB"))
    # The parcel's fill colour and the red vertex marks are drawn.
    assert ((pixels == [255, 245, 204]).all(axis=2)).sum() > 1000
    assert ((pixels[:, :, 0] > 200) & (pixels[:, :, 1] < 60) & (pixels[:, :, 2] < 60)).sum() > 20


def test_scale_and_vertex_order() -> None:
    square = shapely.box(0, 0, 20, 20)
    assert choose_scale(square, 180, 105) == 500
    assert choose_scale(shapely.box(0, 0, 8, 8), 180, 105) == 200
    assert choose_scale(shapely.box(0, 0, 700, 300), 180, 105) == 5000
    # Counter-clockwise input, starting anywhere: clockwise from the north-west corner.
    ring = vertices(shapely.Polygon([(20, 0), (20, 20), (0, 20), (0, 0)]))
    assert ring == [[(0.0, 20.0), (20.0, 20.0), (20.0, 0.0), (0.0, 0.0)]]
