"""``/reports``: the stored monthly and quarterly reports, listed and downloaded (PDF, XLSX)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from gis.access.roles import ADMIN, ENVIRONMENT
from maps.deps import ConnDep, require_role
from sensors.reports.store import FORMATS, list_reports, report_file

router = APIRouter(tags=["reports"], dependencies=[require_role(ENVIRONMENT, ADMIN)])


@router.get("/reports", summary="Stored air and water reports (newest first)")
async def reports(
    conn: ConnDep,
    kind: Literal["air", "water"] | None = None,
    area: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Each report: id, kind, area, period, revision, revised (late data changed it)."""
    return {"reports": await list_reports(conn, kind, area, limit)}


@router.get("/reports/{report_id}", summary="Download a stored report")
async def report(
    report_id: Annotated[int, Path(ge=1, le=2**62)],
    conn: ConnDep,
    format: Literal["pdf", "xlsx"] = "pdf",
) -> Response:
    """The report file as an attachment."""
    content, name = await report_file(conn, report_id, format)
    return Response(
        content,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
