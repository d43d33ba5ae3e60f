"""QGIS files: a province's project (``.qgs``), layer definitions (``.qlr``), styles (``.qml``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from layers.catalog import get_layer, layers_for
from layers.describe import lookup_labels
from layers.qgis import project, province_for_project, qlr
from layers.qgis_style import qml
from maps.deps import ConnDep, RoleDep
from maps.params import LayerId
from maps.routers.ogc_meta import base_url
from maps.security import mark_caller_dependent

router = APIRouter(prefix="/qgis", tags=["qgis"])

QGS = "application/x-qgis-project"
XML = "application/xml"

ProvinceCode = Annotated[
    str, Query(pattern=r"^[0-9]{2}$", description="province code (2 digits, 2025 units)")
]
AuthCfg = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9]{7}$",
        description="id of the user's QGIS authentication configuration (Basic: user name and"
        " API key) the layers should use; the file holds no secret",
    ),
]
QgisLayerId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="layer id")]


def _attachment(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body, media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


@router.get("/project.qgs", summary="QGIS project of a province")
async def qgis_project(
    request: Request, conn: ConnDep, role: RoleDep, province: ProvinceCode = "01",
    authcfg: AuthCfg = None,
) -> Response:  # fmt: skip
    """Every vector layer the caller may see (OAPIF), styled, in the province's VN-2000 zone."""
    mark_caller_dependent(request)
    found = await province_for_project(conn, province)
    layers = layers_for(role, "vector")
    labels = {
        layer.id: await lookup_labels(conn, layer.paint.labels_from)
        for layer in layers
        if layer.paint.labels_from
    }
    body = project(base_url(request), found, layers, authcfg, labels)
    return _attachment(body, QGS, f"iocgis-{province}.qgs")


@router.get("/{name}.qlr", summary="QGIS layer definition of a layer")
async def qgis_layer_definition(
    name: QgisLayerId, request: Request, conn: ConnDep, role: RoleDep, authcfg: AuthCfg = None
) -> Response:
    """One OAPIF layer with its colours and labels, added to QGIS in one click."""
    layer = get_layer(name, role, "vector")
    labels = await lookup_labels(conn, layer.paint.labels_from)
    return _attachment(qlr(base_url(request), layer, authcfg, labels), XML, f"{name}.qlr")


@router.get("/{name}.qml", summary="QGIS style of a layer")
async def qgis_style(name: LayerId, conn: ConnDep, role: RoleDep) -> Response:
    """The layer's colours and labels as a QGIS style file (Layer → Load Style)."""
    layer = get_layer(name, role, "vector")
    labels = await lookup_labels(conn, layer.paint.labels_from)
    return _attachment(qml(layer, labels), XML, f"{name}.qml")
