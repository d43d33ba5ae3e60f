"""GeoJSON written by the database: a feature per row of a layer's view, as a role sees it."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers.catalog import Layer
from layers.crs_uri import CRS84, OutputCRS


def crs_member(crs: OutputCRS) -> dict[str, Any] | None:
    """The GeoJSON 2008 ``crs`` member naming ``crs`` (None for CRS84, GeoJSON's own CRS).

    RFC 7946 dropped the member, but GDAL (and so QGIS opening a saved response) still reads
    it: without it metre coordinates of a VN-2000 answer are taken for WGS 84 degrees.
    """
    if crs.uri == CRS84:
        return None
    return {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs.srid}"}}


def geometry_sql(crs: OutputCRS) -> sql.Composable:
    """The row's geometry as GeoJSON in ``crs`` (axis order and precision of that CRS)."""
    geom: sql.Composable = sql.SQL("s.geom")
    if crs.srid != 4326:
        geom = sql.SQL("ST_Transform(s.geom, {})").format(sql.Literal(crs.srid))
    if crs.lat_first:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    digits = 7 if crs.geographic else 3
    # options 0: no "crs" member (our VN-2000 rows carry no authority on purpose).
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)::json").format(geom, sql.Literal(digits))


def feature_sql(layer: Layer, crs: OutputCRS, role: str) -> sql.Composable:
    """The row as GeoJSON Feature text with the properties ``role`` sees (JSON ones nested)."""
    props = sql.SQL(", ").join(
        sql.SQL("{}, s.{}" + ("::json" if p.json else "")).format(
            sql.Literal(p.name), sql.Identifier(p.name)
        )
        for p in layer.props_for(role)
    )
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', s.fid, 'geometry', {}, "
        "'properties', json_build_object({}))::text"
    ).format(geometry_sql(crs), props)


def personal_sql(layer: Layer, role: str, alias: str = "s") -> sql.Composable:
    """Whether a row (of ``alias``) carries personal data ``role`` sees (``false`` if none)."""
    cols = [sql.SQL("{}.{} IS NOT NULL").format(sql.Identifier(alias), sql.Identifier(p.name))
            for p in layer.personal_props(role)]  # fmt: skip
    return sql.SQL(" OR ").join(cols) if cols else sql.SQL("false")
