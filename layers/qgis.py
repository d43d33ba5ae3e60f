"""QGIS project (``.qgs``) and layer definition (``.qlr``) files for a province's land officials.

Every vector layer of the catalog the caller may see, read through our OGC API Features
(QGIS's OAPIF provider), with the symbology of :mod:`layers.qgis_style`; the project CRS is
the province's VN-2000 TM-3 zone (the zone most of its communes' map sheets use), and the
project's transform context pins WGS 84 → that zone to the legal datum shift (EPSG:6960,
Decision 05/2007/QĐ-BTNMT; see gis.crs), whatever PROJ would prefer. A layer's ``authcfg``
names the user's own QGIS authentication configuration (Authentication → Basic), which
QGIS keeps in its own encrypted store: the file carries no secret.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import psycopg
from pyproj import CRS, Transformer
from pyproj.enums import WktVersion

from gis.crs import bound_crs
from gis.errors import NotFound
from layers.catalog import Layer
from layers.describe import Labels
from layers.qgis_style import GEOMETRY, labeling, renderer

#: QGIS version the files are written for (Debian 12's QGIS; newer versions read them too).
QGIS_VERSION = "3.22.16-Białowieża"
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"


@dataclass(frozen=True)
class Province:
    """A province as a project needs it: code, name, VN-2000 zone, WGS 84 bounds."""

    code: str
    name: str
    srid: int
    bbox: tuple[float, float, float, float]


async def province_for_project(conn: psycopg.AsyncConnection, code: str) -> Province:
    """The province ``code`` with its most used TM-3 zone; NotFound if unknown."""
    cur = await conn.execute(
        "SELECT p.code, p.name, ST_XMin(p.geom), ST_YMin(p.geom), ST_XMax(p.geom),"
        " ST_YMax(p.geom), (SELECT c.tm3_srid FROM admin.communes c"
        "  WHERE c.province_code = p.code AND c.tm3_srid IS NOT NULL"
        "  GROUP BY c.tm3_srid ORDER BY count(*) DESC, c.tm3_srid LIMIT 1)"
        " FROM admin.provinces p WHERE p.code = %s",
        [code],
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no province {code!r}")
    if row[6] is None:
        raise NotFound(f"province {code} has no VN-2000 TM-3 zone recorded")
    return Province(row[0], row[1], int(row[6]), (row[2], row[3], row[4], row[5]))


def oapif_source(base: str, layer: Layer, authcfg: str | None) -> str:
    """The OAPIF data source of ``layer`` (QGIS's URI syntax)."""
    source = f"url='{base}' typename='{layer.id}' restrictToRequestBBOX='1'"
    return source + (f" authcfg='{authcfg}'" if authcfg else "")


def spatialrefsys(srid: int) -> ET.Element:
    """A ``<spatialrefsys>`` QGIS reads by its EPSG authority id."""
    crs = CRS.from_epsg(srid)
    with warnings.catch_warnings():  # PROJ strings are lossy: QGIS reads the WKT and authid
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4() if srid != 4326 else "+proj=longlat +datum=WGS84 +no_defs"
    out = ET.Element("spatialrefsys", nativeFormat="Wkt")
    for tag, text in (
        ("wkt", crs.to_wkt(WktVersion.WKT2_2019)),
        ("proj4", proj4),
        ("srid", str(srid)),
        ("authid", f"EPSG:{srid}"),
        ("description", crs.name),
        ("geographicflag", "true" if crs.is_geographic else "false"),
    ):
        ET.SubElement(out, tag).text = text
    return out


def legal_shift(srid: int) -> str:
    """The PROJ pipeline WGS 84 → EPSG:``srid`` through EPSG:6960 (for QGIS's transform context)."""
    pipeline = Transformer.from_crs(CRS.from_epsg(4326), bound_crs(srid), always_xy=True)
    return " ".join("+" + token for token in pipeline.definition.split())


def maplayer(base: str, layer: Layer, authcfg: str | None, labels: Labels | None) -> ET.Element:
    """One ``<maplayer>`` element: an OAPIF layer with its symbology and labels."""
    label = labeling(layer)
    out = ET.Element("maplayer", type="vector", geometry=GEOMETRY[layer.paint.kind],
                     labelsEnabled="1" if label is not None else "0",
                     minScale="0", maxScale="0", hasScaleBasedVisibilityFlag="0")  # fmt: skip
    ET.SubElement(out, "id").text = f"iocgis_{layer.id}"
    ET.SubElement(out, "datasource").text = oapif_source(base, layer, authcfg)
    ET.SubElement(out, "layername").text = layer.title_vi
    ET.SubElement(out, "srs").append(spatialrefsys(4326))
    ET.SubElement(out, "provider", encoding="UTF-8").text = "OAPIF"
    ET.SubElement(out, "abstract").text = f"{layer.title_vi} / {layer.title_en}"
    out.append(renderer(layer, labels))
    if label is not None:
        out.append(label)
    return out


def _tree_layer(layer: Layer, checked: bool) -> ET.Element:
    return ET.Element("layer-tree-layer", id=f"iocgis_{layer.id}", name=layer.title_vi,
                      providerKey="OAPIF", checked="Qt::Checked" if checked else "Qt::Unchecked",
                      expanded="1", source="")  # fmt: skip


def _document(root: ET.Element) -> str:
    ET.indent(root)
    return DOCTYPE + ET.tostring(root, encoding="unicode")


def project(
    base: str,
    province: Province,
    layers: list[Layer],
    authcfg: str | None = None,
    labels: dict[str, Labels] | None = None,
) -> str:
    """A QGIS project: ``layers`` (top of the list drawn last), the province's CRS and extent."""
    labels = labels or {}
    root = ET.Element("qgis", projectname=f"ioc-gis — {province.name}", version=QGIS_VERSION)
    ET.SubElement(root, "title").text = f"ioc-gis — {province.name}"
    ET.SubElement(root, "projectCrs").append(spatialrefsys(province.srid))
    # QGIS 3.22 reads <projectCrs> only when the project says it is projected ("OTF" on).
    srs_props = ET.SubElement(ET.SubElement(root, "properties"), "SpatialRefSys")
    ET.SubElement(srs_props, "ProjectionsEnabled", type="int").text = "1"
    context = ET.SubElement(ET.SubElement(root, "transformContext"), "srcDest")
    ET.SubElement(context, "entry", src="EPSG:4326", dest=f"EPSG:{province.srid}",
                  coordinateOp=legal_shift(province.srid), allowFallback="0")  # fmt: skip
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for layer in reversed(layers):  # the tree lists the top layer first
        tree.append(_tree_layer(layer, checked=True))
    west, south, east, north = province.bbox
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    box = Transformer.from_crs(4326, province.srid, always_xy=True).transform_bounds(
        west, south, east, north
    )
    extent = ET.SubElement(canvas, "extent")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        ET.SubElement(extent, tag).text = f"{value:.3f}"
    ET.SubElement(canvas, "destinationsrs").append(spatialrefsys(province.srid))
    projectlayers = ET.SubElement(root, "projectlayers")
    for layer in layers:
        projectlayers.append(maplayer(base, layer, authcfg, labels.get(layer.id)))
    return _document(root)


def qlr(base: str, layer: Layer, authcfg: str | None = None, labels: Labels | None = None) -> str:
    """A QGIS layer definition (``.qlr``): one OAPIF layer with its style, in one click."""
    root = ET.Element("qlr")
    tree = ET.SubElement(root, "layer-tree-group", expanded="1", checked="Qt::Checked", name="")
    tree.append(_tree_layer(layer, checked=True))
    ET.SubElement(root, "maplayers").append(maplayer(base, layer, authcfg, labels))
    return _document(root)
