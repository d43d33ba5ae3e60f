"""The report as XLSX (openpyxl): one sheet per table, the same rows as the PDF."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sensors.reports.tables import STANDARD, TITLE, Table, daily, tables

HEAD = PatternFill("solid", fgColor="DDE6F0")


def _sheet(wb: Workbook, t: Table) -> None:
    ws = wb.create_sheet(t.sheet[:31])
    ws.append([t.title])
    ws["A1"].font = Font(bold=True)
    ws.append(t.header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = HEAD
    for row in t.rows:
        ws.append(row)
    for i, h in enumerate(t.header, start=1):
        longest = max([len(str(h)), *(len(str(r[i - 1])) for r in t.rows if r[i - 1] is not None)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 45)
    ws.freeze_panes = "A3"


def render_xlsx(report: dict[str, Any], generated: datetime) -> bytes:
    """The whole report as XLSX bytes."""
    wb = Workbook()
    info = wb.active
    assert info is not None
    info.title = "Report"
    for row in (
        [TITLE[report["kind"]]],
        ["Khu vực · Area", report["area"], report["area_name"]],
        ["Kỳ · Period", report["period"], f"{report['first']} – {report['last']}"],
        ["Kỳ trước · Previous", report["previous_period"]],
        ["Quy chuẩn · Standard", STANDARD[report["kind"]]],
        ["Phiên bản · Revision", report.get("revision", 1)],
        ["Lập lúc · Generated (UTC)", generated.strftime("%Y-%m-%d %H:%M")],
    ):
        info.append(row)
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 16
    for t in [*tables(report), daily(report)]:
        _sheet(wb, t)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
