"""The cadastral extract (trích lục bản đồ địa chính) of one parcel: an A4 PDF (ReportLab).

The parcel at the largest standard scale that fits, its neighbours, a north arrow and a scale
bar; its vertices clockwise from the north-west corner with X (northing) and Y (easting) in the
sheet's VN-2000 TM-3 zone to 0.01 m and the length of each edge; sheet, number, parcel code
(also as a QR code), address, legal area to 0.1 m², purposes with term and origin; the land
users only when asked for (land officials); date, issuing office and signatures. Choices where
no text was found are listed in docs/land-outputs.md.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape as esc
from zoneinfo import ZoneInfo

import psycopg
import shapely
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gis.crs import TM3_ZONES
from gis.fonts import dejavu
from gis.parcels.extract_map import Neighbour, draw_map, vertices
from gis.parcels.model import Parcel
from gis.parcels.queries import get_parcel
from gis.settings import get_settings

MARGIN = 15 * mm
MAP_W_MM, MAP_H_MM = 180.0, 105.0
#: Coordinates and edge lengths are printed to this many decimals (metres): 0.01 m, as no
#: current text giving the extract's precision was found (docs/land-outputs.md).
COORD_DECIMALS = 2
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

_NEIGHBOURS = """
SELECT sheet_number, parcel_number,
       ST_AsBinary(CASE WHEN srid = %(srid)s THEN geom_native ELSE ST_Transform(geom, %(srid)s)
                   END)
FROM land.parcels
WHERE valid_to IS NULL AND id <> %(id)s
  AND geom && ST_Transform(ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, %(srid)s), 4326)
"""


def vn_number(value: float, decimals: int) -> str:
    """A number as Vietnamese writes it: decimal comma, no thousands separator."""
    return f"{value:.{decimals}f}".replace(".", ",")


def meridian_text(srid: int) -> str:
    """The TM-3 zone of a sheet as printed: VN-2000, 3° zone, central meridian, EPSG code."""
    central = {v: k for k, v in TM3_ZONES.items()}.get(srid)
    if central is None:
        return f"EPSG:{srid}"
    degrees, minutes = int(central), round((central - int(central)) * 60)
    return f"VN-2000, múi chiếu 3°, kinh tuyến trục {degrees}°{minutes:02d}′, EPSG:{srid}"


@dataclass(frozen=True)
class ExtractData:
    """What an extract prints, read from the database."""

    parcel: Parcel
    geom: shapely.Geometry
    neighbours: list[Neighbour]


def read_extract(conn: psycopg.Connection, commune: str, sheet: int, number: int,
                 with_users: bool) -> ExtractData:
    """The parcel (with users if asked), its outline in the sheet CRS and its neighbours."""
    parcel = get_parcel(commune, sheet, number, with_users=with_users, conn=conn)[0]
    row = conn.execute("SELECT ST_AsBinary(geom_native) FROM land.parcels WHERE id = %s",
                       (parcel.id,)).fetchone()
    assert row is not None
    geom = shapely.from_wkb(bytes(row[0]))
    minx, miny, maxx, maxy = geom.bounds
    # Enough around the parcel for the frame at any scale the parcel may be drawn at.
    pad = max(maxx - minx, maxy - miny) * 1.5 + 5
    rows = conn.execute(_NEIGHBOURS, {"srid": parcel.srid, "id": parcel.id, "x0": minx - pad,
                                      "y0": miny - pad, "x1": maxx + pad, "y1": maxy + pad})
    neighbours = [Neighbour(int(s), int(n), shapely.from_wkb(bytes(g))) for s, n, g in rows]
    return ExtractData(parcel, geom, neighbours)


def _styles(font: str, bold: str) -> dict[str, ParagraphStyle]:
    """Paragraph styles of the extract."""
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "center": ParagraphStyle("center", parent=base, alignment=1),
        "bold_center": ParagraphStyle("bc", parent=base, fontName=bold, alignment=1),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=14, leading=18,
                                alignment=1, spaceBefore=4, spaceAfter=2),
        "head": ParagraphStyle("head", parent=base, fontName=bold, spaceBefore=5, spaceAfter=2),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9),
    }


def _qr(code: str) -> Drawing:
    """A 28 mm QR code of the parcel code."""
    widget = QrCodeWidget(code, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    size = 28 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _info(p: Parcel, st: dict[str, ParagraphStyle]) -> list[Paragraph]:
    """The parcel's particulars, one paragraph a line (stored texts escaped for the markup)."""
    place = (p.address, p.commune_name, p.province_name)
    lines = [
        f"<b>Thửa đất số:</b> {p.parcel_number}&nbsp;&nbsp;&nbsp; <b>Tờ bản đồ số:</b>"
        f" {p.sheet_number}",
        f"<b>Mã thửa đất:</b> {p.parcel_code or '(chưa có)'}",
        f"<b>Địa chỉ:</b> {esc(', '.join(x for x in place if x))}",
        f"<b>Diện tích:</b> {vn_number(p.legal_area_m2, 1)} m²",
    ]
    for q in p.purposes:
        lines.append(f"<b>Mục đích sử dụng:</b> {q.code} – {esc(q.name_vi or '')}:"
                     f" {vn_number(q.area_m2, 1)} m²")
    terms = sorted({q.term for q in p.purposes if q.term})
    origins = sorted({q.origin for q in p.purposes if q.origin})
    lines.append(f"<b>Thời hạn sử dụng:</b> {esc('; '.join(terms)) or '–'}")
    lines.append(f"<b>Nguồn gốc sử dụng:</b> {esc('; '.join(origins)) or '–'}")
    if p.users is not None:
        users = "; ".join(
            u.full_name + (f" (số định danh {u.id_number})" if u.id_number else "")
            + (f", {u.address}" if u.address else "") for u in p.users)
        lines.append(f"<b>Người sử dụng đất:</b> {esc(users) or '–'}")
    return [Paragraph(t, st["base"]) for t in lines]


def _vertex_table(geom: shapely.Geometry, font: str, bold: str) -> Table:
    """Vertices (X north, Y east) and edge lengths, numbered clockwise from the north-west."""
    rows = [["Điểm", "X (m)", "Y (m)", "Cạnh", "Chiều dài (m)"]]
    k = 0
    for ring in vertices(geom):
        first = k + 1
        for i, (x, y) in enumerate(ring):
            k += 1
            nx, ny = ring[(i + 1) % len(ring)]
            nxt = first if i == len(ring) - 1 else k + 1
            rows.append([str(k), vn_number(y, COORD_DECIMALS), vn_number(x, COORD_DECIMALS),
                         f"{k}–{nxt}", vn_number(math.hypot(nx - x, ny - y), COORD_DECIMALS)])
    table = Table(rows, colWidths=[18 * mm, 38 * mm, 38 * mm, 22 * mm, 30 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5), ("FONT", (0, 0), (-1, 0), bold, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("ALIGN", (1, 1), (2, -1), "RIGHT"), ("ALIGN", (4, 1), (4, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
    ]))  # fmt: skip
    return table


def render_extract(data: ExtractData, issued: date) -> bytes:
    """The extract as PDF bytes."""
    font, bold = dejavu()
    st = _styles(font, bold)
    s = get_settings()
    p = data.parcel
    header = Table([[
        [Paragraph(s.office_parent, st["center"]), Paragraph(s.office_name, st["bold_center"])],
        [Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st["bold_center"]),
         Paragraph("Độc lập – Tự do – Hạnh phúc", st["bold_center"])],
    ]], colWidths=[80 * mm, 100 * mm])  # fmt: skip
    info = Table([[_info(p, st), [_qr(p.parcel_code or ""), Paragraph(p.parcel_code or "",
                                                                     st["center"])]]],
                 colWidths=[145 * mm, 35 * mm])
    info.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    label = f"{vn_number(p.legal_area_m2, 1)} m²"
    if p.purposes:
        label += f" – {p.purposes[0].code}"
    drawing, scale = draw_map(data.geom, p.sheet_number, p.parcel_number, label,
                              data.neighbours, MAP_W_MM, MAP_H_MM, font)
    signatures = Table([[
        [Paragraph("NGƯỜI TRÍCH LỤC", st["bold_center"]),
         Paragraph("(Ký, ghi rõ họ tên)", st["center"])],
        [Paragraph(f"{s.office_place}, ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
                   st["center"]),
         Paragraph(f"{s.office_signer} {s.office_name}".strip(), st["bold_center"]),
         Paragraph("(Ký tên, đóng dấu)", st["center"])],
    ]], colWidths=[80 * mm, 100 * mm], rowHeights=[32 * mm])  # fmt: skip
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [
        header,
        Paragraph("TRÍCH LỤC BẢN ĐỒ ĐỊA CHÍNH", st["title"]),
        Paragraph("(thửa đất)", st["center"]),
        Paragraph("1. Thông tin thửa đất", st["head"]), info,
        Paragraph(f"2. Sơ đồ thửa đất (tỉ lệ 1:{scale:,})".replace(",", "."), st["head"]),
        drawing,
        Paragraph("3. Bảng liệt kê tọa độ đỉnh thửa và chiều dài cạnh", st["head"]),
        Paragraph(f"Hệ tọa độ: {meridian_text(p.srid)}; X: tọa độ Bắc, Y: tọa độ Đông;"
                  " đỉnh thửa đánh số từ góc Tây Bắc theo chiều kim đồng hồ.", st["small"]),
        Spacer(1, 2 * mm), _vertex_table(data.geom, font, bold), Spacer(1, 4 * mm), signatures,
        Paragraph(f"Trích lục từ cơ sở dữ liệu địa chính; phiên bản thửa đất có hiệu lực từ"
                  f" {p.valid_from.astimezone(TIMEZONE):%d/%m/%Y %H:%M}." if p.valid_from else "",
                  st["small"]),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Trích lục thửa {p.parcel_number} tờ {p.sheet_number}",
                            author=s.office_name, subject=p.parcel_code or "")
    doc.build(story)
    return buf.getvalue()


def extract_pdf(conn: psycopg.Connection, commune: str, sheet: int, number: int, *,
                with_users: bool = False, issued: date | None = None) -> bytes:
    """The cadastral extract of the current parcel as PDF bytes (dated today, Vietnam time)."""
    data = read_extract(conn, commune, sheet, number, with_users)
    return render_extract(data, issued or datetime.now(TIMEZONE).date())
