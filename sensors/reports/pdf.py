"""The report as PDF (ReportLab): DejaVu fonts for Vietnamese, charts, tables; wide tables on
landscape pages."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RlTable

from gis.fonts import dejavu
from sensors.reports import charts
from sensors.reports.figures import REQUIRED_SHARE
from sensors.reports.tables import STANDARD, TITLE, TITLE_EN, Table, tables

#: A table wider than this many columns goes on a landscape page.
WIDE = 6
MARGIN = 15 * mm
INDEX = {"air": "VN_AQI (Quyết định 1459/QĐ-TCMT)", "water": "VN_WQI (Quyết định 1460/QĐ-TCMT)"}


def _styles() -> dict[str, ParagraphStyle]:
    font, bold = dejavu()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        "h": ParagraphStyle(
            "h", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "p": ParagraphStyle("p", fontName=font, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7.5, leading=9),
    }


def _text(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _table(t: Table, width: float, st: dict[str, ParagraphStyle]) -> RlTable:
    data = [[Paragraph(h, st["head"]) for h in t.header]]
    data += [[Paragraph(_text(c), st["cell"]) for c in row] for row in t.rows]
    if not t.rows:
        data.append([Paragraph("Không có · none", st["cell"])] + [""] * (len(t.header) - 1))
    first = min(width * 0.3, 60 * mm) if len(t.header) > 3 else width / len(t.header)
    rest = (width - first) / max(len(t.header) - 1, 1)
    table = RlTable(data, colWidths=[first] + [rest] * (len(t.header) - 1), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
            ]
        )
    )
    return table


def _footer(report: dict[str, Any]) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(dejavu()[0], 7)
        w, _h = doc.pagesize
        canvas.drawString(
            MARGIN,
            8 * mm,
            f"ioc-gis · {report['kind']} {report['area']} "
            f"{report['period']} · rev. {report.get('revision', 1)}",
        )
        canvas.drawRightString(w - MARGIN, 8 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    return draw


def render_pdf(report: dict[str, Any], generated: datetime) -> bytes:
    """The whole report as PDF bytes."""
    st = _styles()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{TITLE_EN[report['kind']]} {report['area']} {report['period']}",
    )
    footer = _footer(report)
    pw, ph = A4
    lw, lh = landscape(A4)
    doc.addPageTemplates(
        [
            PageTemplate(
                "portrait",
                [Frame(MARGIN, MARGIN, pw - 2 * MARGIN, ph - 2 * MARGIN)],
                onPage=footer,
                pagesize=A4,
            ),
            PageTemplate(
                "landscape",
                [Frame(MARGIN, MARGIN, lw - 2 * MARGIN, lh - 2 * MARGIN)],
                onPage=footer,
                pagesize=landscape(A4),
            ),
        ]
    )
    revised = " (đã điều chỉnh · revised)" if report.get("revision", 1) > 1 else ""
    story: list[Any] = [
        Paragraph(f"{TITLE[report['kind']]}{revised}", st["title"]),
        Paragraph(
            f"{report['area_name']} ({report['area']}) · Kỳ báo cáo {report['period']}: "
            f"{report['first']} – {report['last']}",
            st["p"],
        ),
        Paragraph(
            f"Quy chuẩn: {STANDARD[report['kind']]} · Chỉ số: {INDEX[report['kind']]}"
            f" · Ngày đủ số liệu: ≥ {int(REQUIRED_SHARE * 100)} % số liệu dự kiến",
            st["p"],
        ),
        Paragraph(
            f"Lập lúc {generated:%Y-%m-%d %H:%M} UTC · {len(report['stations'])} trạm", st["p"]
        ),
        Spacer(1, 4 * mm),
        Image(
            io.BytesIO(charts.category_bars(report)),
            width=pw - 2 * MARGIN,
            height=(pw - 2 * MARGIN) * 0.42,
            kind="proportional",
        ),
        Image(
            io.BytesIO(charts.daily_lines(report)),
            width=pw - 2 * MARGIN,
            height=(pw - 2 * MARGIN) * 0.42,
            kind="proportional",
        ),
    ]
    current = "portrait"
    # Wide tables first, together on landscape pages; then the narrow ones (fewer breaks).
    ordered = sorted(tables(report), key=lambda t: len(t.header) <= WIDE)
    for t in ordered:
        wanted = "landscape" if len(t.header) > WIDE else "portrait"
        if wanted != current:
            story += [NextPageTemplate(wanted), PageBreak()]
            current = wanted
        width = (lw if wanted == "landscape" else pw) - 2 * MARGIN
        story += [Paragraph(t.title, st["h"]), _table(t, width, st)]
    doc.build(story)
    return buf.getvalue()
