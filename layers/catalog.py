"""The layer catalog: every layer declared once; tiles, collections, TileJSON and legends follow.

A vector layer reads a view in the database schema ``layers`` (migration 0007_layers), whose
columns are the declared properties plus ``fid`` and ``geom`` (WGS 84). Identifiers in SQL come
only from these declarations, never from a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gis.access.roles import LAND, PUBLIC, ROLES, Role
from gis.errors import NotFound
from layers.landcover import CLASSES as LANDCOVER_CLASSES
from layers.landcover import LANDCOVER_PATH
from layers.rasterspec import RasterSpec, aqi_classes
from layers.styles import (
    Paint,
    aqi_entries,
    land_use_entries,
    state_entries,
    station_entries,
)

PropType = Literal["string", "integer", "number", "datetime", "boolean"]


@dataclass(frozen=True)
class Prop:
    """A property exposed by a layer: a column of its view."""

    name: str
    type: PropType = "string"
    title: str = ""
    #: Roles that may see the property (default: every role). The database grants agree
    #: (migration 0008_access); this keeps the queries from asking for what a role may not read.
    roles: frozenset[Role] = frozenset(ROLES)
    #: Personal data: every response carrying it is written to the audit log.
    personal: bool = False
    #: The column holds JSON text: GeoJSON output nests it as JSON (tiles keep the text).
    json: bool = False

    def visible_to(self, role: str) -> bool:
        """Whether ``role`` may see this property."""
        return role in self.roles


@dataclass(frozen=True)
class Layer:
    """One layer of the catalog, vector or raster."""

    id: str
    title_vi: str
    title_en: str
    kind: Literal["vector", "raster"]
    paint: Paint
    #: Vector: the view in schema ``layers`` (its geometry column is ``geom``, SRID 4326).
    view: str | None = None
    properties: tuple[Prop, ...] = ()
    minzoom: int = 0
    maxzoom: int = 22
    #: Simplification tolerance in tile pixels (0: only the MVT grid snap).
    simplify_px: float = 0.0
    #: The datetime property OGC ``datetime`` filters on.
    time_property: str | None = None
    #: Roles that may see the layer (default: every role).
    roles: frozenset[Role] = frozenset(ROLES)
    #: Most features one tile carries; a cut tile says so in a response header.
    tile_cap: int = 20_000
    #: Change sources (layers.changes.source / NOTIFY) that invalidate this layer's tiles
    #: (a computed raster's surface too).
    change_sources: tuple[str, ...] = ()
    #: Raster: where the pixels come from, classes, resampling, point query, zonal statistic.
    raster: RasterSpec | None = None
    description: str = ""
    bounds: tuple[float, float, float, float] = (102.14, 8.18, 109.47, 23.39)

    @property
    def title(self) -> dict[str, str]:
        """Both titles, keyed by language."""
        return {"vi": self.title_vi, "en": self.title_en}

    def props_for(self, role: str) -> tuple[Prop, ...]:
        """The properties ``role`` may see (what every query, schema and filter uses)."""
        return tuple(p for p in self.properties if p.visible_to(role))

    def prop(self, name: str, role: str = PUBLIC) -> Prop | None:
        """The property ``name`` as ``role`` sees it, or None (also when ``role`` may not)."""
        return next((p for p in self.props_for(role) if p.name == name), None)

    def personal_props(self, role: str) -> tuple[Prop, ...]:
        """The personal-data properties ``role`` sees (non-empty: responses are audited)."""
        return tuple(p for p in self.props_for(role) if p.personal)

    def visible_to(self, role: str) -> bool:
        """Whether ``role`` may see this layer."""
        return role in self.roles


#: The land cover: a file, coded classes (declared once, in layers.landcover).
LANDCOVER_RASTER = RasterSpec("file", LANDCOVER_CLASSES, "classes", "nearest", "class",
                              "class_areas", path=LANDCOVER_PATH)  # fmt: skip

S: PropType = "string"
INT: PropType = "integer"
N: PropType = "number"
T: PropType = "datetime"

CATALOG: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        Layer(
            "provinces", "Tỉnh, thành phố", "Provinces", "vector",
            Paint("line", color="#555555", outline="#555555", width=2.0, opacity=0.0),
            view="provinces",
            properties=(Prop("code", S), Prop("name", S), Prop("name_en", S), Prop("kind", S)),
            minzoom=0, maxzoom=14, simplify_px=1.0, change_sources=("provinces",),
        ),
        Layer(
            "communes", "Xã, phường, đặc khu", "Communes", "vector",
            Paint("line", color="#888888", outline="#888888", width=1.0, opacity=0.0),
            view="communes",
            properties=(
                Prop("code", S), Prop("province_code", S), Prop("name", S), Prop("name_en", S),
                Prop("kind", S), Prop("area_km2", N),
            ),
            minzoom=6, maxzoom=16, simplify_px=0.5, change_sources=("communes",),
        ),
        Layer(
            "parcels", "Thửa đất", "Parcels", "vector",
            Paint("fill", color="#dddddd", outline="#6d4c41", width=0.5, opacity=0.8,
                  by="land_use", entries=land_use_entries(), labels_from="land_use_codes"),
            view="parcels",
            properties=(
                Prop("commune_code", S), Prop("sheet_number", INT), Prop("parcel_number", INT),
                Prop("land_use", S), Prop("purposes", S), Prop("legal_area_m2", N),
                Prop("address", S), Prop("valid_from", T),
                # Land users (full name, ID number, address): personal data, land officials only.
                Prop("land_users", S, roles=frozenset({LAND}), personal=True, json=True),
                # National parcel code (Circular 19/2026/TT-BNNMT Art. 11(3); migration 0012).
                Prop("parcel_code", S),
                # The land users as one line of text, for clients without JSON lists (QGIS).
                Prop("land_users_text", S, roles=frozenset({LAND}), personal=True),
            ),
            minzoom=14, maxzoom=22, time_property="valid_from", change_sources=("parcels",),
            tile_cap=20_000,
        ),
        Layer(
            "planning", "Quy hoạch sử dụng đất", "Land-use planning", "vector",
            Paint("fill", color="#cccccc", outline="#b71c1c", width=1.5, opacity=0.45,
                  by="planned_use", entries=land_use_entries(), labels_from="land_use_codes"),
            view="planning",
            properties=(
                Prop("plan_code", S), Prop("plan_name", S), Prop("period", S),
                Prop("commune_code", S), Prop("zone_code", S), Prop("planned_use", S),
                Prop("note", S), Prop("synthetic", "boolean"),
            ),
            minzoom=10, maxzoom=22, change_sources=("planning",),
        ),
        Layer(
            "stations", "Trạm quan trắc", "Monitoring stations", "vector",
            Paint("circle", color="#9e9e9e", outline="#212121", radius=8.0, opacity=0.95,
                  by="category", entries=station_entries()),
            view="stations",
            properties=(
                Prop("code", S), Prop("name", S), Prop("kind", S), Prop("commune_code", S),
                Prop("index_value", INT), Prop("category", S), Prop("category_vi", S),
                Prop("color", S), Prop("dominant", S), Prop("state", S),
                Prop("observed_at", T),
            ),
            minzoom=0, maxzoom=22, time_property="observed_at",
            change_sources=("stations",),
        ),
        Layer(
            "alerts", "Cảnh báo vượt ngưỡng", "Exceedance alerts", "vector",
            Paint("circle", color="#c62828", outline="#ffffff", radius=10.0, opacity=0.9,
                  by="state", entries=state_entries()),
            view="alerts",
            properties=(
                Prop("station_code", S), Prop("parameter", S), Prop("period", S),
                Prop("value", N), Prop("limit_value", N), Prop("started_at", T),
                Prop("ended_at", T), Prop("state", S),
            ),
            minzoom=0, maxzoom=22, time_property="started_at",
            change_sources=("alerts", "stations"),
        ),
        Layer(
            # Issue 11: factories with waste-water outlets and stacks (view from migration
            # 0011_facilities); the colour is the worst state of the facility's points.
            "facilities", "Cơ sở sản xuất có quan trắc tự động", "Monitored facilities",
            "vector",
            # A wide halo under its points' markers (the points are stations too).
            Paint("circle", color="#9e9e9e", outline="#263238", radius=18.0, opacity=0.55,
                  by="state", entries=state_entries()),
            view="facilities",
            properties=(
                Prop("code", S), Prop("name", S), Prop("tax_code", S), Prop("address", S),
                Prop("commune_code", S), Prop("sector", S), Prop("points", INT),
                Prop("outlets", INT), Prop("stacks", INT), Prop("state", S),
                Prop("interrupted", "boolean"),
            ),
            minzoom=0, maxzoom=22, change_sources=("facilities", "stations", "alerts"),
        ),
        Layer(
            "aqi_surface", "Bề mặt AQI nội suy", "Interpolated AQI surface", "raster",
            Paint("raster", entries=aqi_entries(), opacity=0.6),
            minzoom=5, maxzoom=14, change_sources=("stations",),
            raster=RasterSpec("computed", aqi_classes(), "intervals", "bilinear", "category",
                              "mean", builder="aqi_idw"),
            description="Inverse-distance weighting of the stations' current VN_AQI, clipped "
            "to the province.",
        ),
        Layer(
            "landcover", "Lớp phủ mặt đất (tổng hợp)", "Land cover (synthetic)", "raster",
            Paint("raster", opacity=0.7, entries=LANDCOVER_RASTER.legend()),
            minzoom=8, maxzoom=16, raster=LANDCOVER_RASTER,
            description="SYNTHETIC land cover (no real raster available); classes follow "
            "ESA WorldCover codes.",
        ),
    )
}  # fmt: skip


def get_layer(layer_id: str, role: str = PUBLIC, kind: str | None = None) -> Layer:
    """The layer ``layer_id`` visible to ``role`` (of ``kind`` if given); NotFound otherwise."""
    layer = CATALOG.get(layer_id)
    if layer is None or not layer.visible_to(role) or (kind and layer.kind != kind):
        raise NotFound(f"no such layer: {layer_id}")
    return layer


def layers_for(role: str = PUBLIC, kind: str | None = None) -> list[Layer]:
    """Every layer ``role`` may see, optionally of one kind."""
    return [
        layer
        for layer in CATALOG.values()
        if layer.visible_to(role) and (kind is None or layer.kind == kind)
    ]


def layers_for_source(source: str) -> list[Layer]:
    """Layers whose tiles a change reported by ``source`` invalidates."""
    return [layer for layer in CATALOG.values() if source in layer.change_sources]
