"""Vector tiles built in SQL, in the Martin shape.

The filter is ``geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => m), 4326)`` so the GiST
index on the view's native geometry column is used; the statement is prepared once per pooled
connection (psycopg ``prepare=True``); each layer's features are capped and a cut tile is
reported. Several layers make one tile by concatenating their MVT layers (valid per the spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import morecantile
import psycopg
from psycopg import sql

from gis.access.roles import PUBLIC, Role
from gis.errors import InvalidInput
from layers.catalog import Layer
from layers.geojson import personal_sql

EXTENT = 4096
BUFFER = 64
#: Margin of the envelope used for the index filter (the MVT buffer, as a tile fraction).
MARGIN = BUFFER / EXTENT
#: The grid of every tile we serve (vector and raster): OGC WebMercatorQuad, from morecantile,
#: which also holds the OGC TileMatrixSets another grid (a VN-2000 one) would be declared with.
TMS = morecantile.tms.get("WebMercatorQuad")
MAX_ZOOM = TMS.maxzoom


@dataclass(frozen=True)
class Tile:
    """An encoded MVT tile and the layers whose features were cut at their cap."""

    data: bytes
    cut: tuple[str, ...] = ()
    #: Ids of the features in the tile carrying personal data (the audit log records them).
    personal_ids: tuple[int, ...] = ()


def check_tile(z: int, x: int, y: int) -> None:
    """Raise InvalidInput unless z/x/y names a tile of the grid (:data:`TMS`)."""
    if not TMS.minzoom <= z <= TMS.maxzoom:
        raise InvalidInput(f"zoom {z} is out of range {TMS.minzoom}–{TMS.maxzoom}")
    if not TMS.is_valid(morecantile.Tile(x, y, z)):
        raise InvalidInput(f"tile {z}/{x}/{y} is outside the grid")


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The (z, x, y) tile of the grid holding a WGS 84 point."""
    t = TMS.tile(lon, lat, z)
    return t.z, t.x, t.y


def tile_width_m(z: int) -> float:
    """Width of a tile of zoom ``z`` in the grid's units (Web Mercator metres)."""
    matrix = TMS.matrix(z)
    return float(matrix.cellSize * matrix.tileWidth)


def simplify_tolerance(layer: Layer, z: int) -> float:
    """Simplification tolerance in Web Mercator metres at zoom ``z`` (0: none)."""
    return layer.simplify_px * tile_width_m(z) / EXTENT if layer.simplify_px else 0.0


def _personal_ids_sql(layer: Layer, role: str) -> sql.Composable:
    """Ids of the encoded features carrying personal data ``role`` sees (NULL if it sees none)."""
    if not layer.personal_props(role):
        return sql.SQL("NULL::bigint[]")
    return sql.SQL("array_agg(t.fid) FILTER (WHERE t.geom IS NOT NULL AND ({}))").format(
        personal_sql(layer, role, "t")
    )


@lru_cache(maxsize=256)
def tile_query(layer: Layer, simplify: bool, role: Role = PUBLIC) -> sql.Composed:
    """The tile statement of ``layer`` as ``role`` sees it: returns (features found, MVT bytes,
    ids of the encoded features carrying personal data)."""
    if layer.view is None:
        raise InvalidInput(f"{layer.id} is not a vector layer")
    cols = sql.SQL(", ").join(
        sql.SQL("s.{}").format(sql.Identifier(p.name)) for p in layer.props_for(role)
    )
    geom = sql.SQL("ST_Transform(s.geom, 3857)")
    if simplify:
        geom = sql.SQL("ST_Simplify(ST_Transform(s.geom, 3857), %(tol)s::float8, true)")
    # One pass: candidates limited to %(lim)s (the cap + 1, to see whether the cap cuts),
    # counted and encoded by the same aggregate scan.
    return sql.SQL(
        "SELECT count(*), ST_AsMVT(t, {name}, {extent}, 'geom', 'fid')"
        " FILTER (WHERE t.geom IS NOT NULL), {personal} FROM ("
        " SELECT s.fid, {cols}, ST_AsMVTGeom({geom}, ST_TileEnvelope(%(z)s::int, %(x)s::int,"
        " %(y)s::int), {extent}, {buffer}, true) AS geom"
        " FROM layers.{view} s"
        " WHERE s.geom && ST_Transform(ST_TileEnvelope(%(z)s::int, %(x)s::int, %(y)s::int,"
        " margin => {margin}), 4326)"
        " LIMIT %(lim)s::int) t"
    ).format(
        cols=cols,
        geom=geom,
        view=sql.Identifier(layer.view),
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        margin=sql.Literal(MARGIN),
        name=sql.Literal(layer.id),
        personal=_personal_ids_sql(layer, role),
    )


def tile_params(layer: Layer, z: int, x: int, y: int) -> dict[str, float | int]:
    """Bound parameters of :func:`tile_query` for one tile."""
    params: dict[str, float | int] = {"z": z, "x": x, "y": y, "lim": layer.tile_cap + 1}
    tol = simplify_tolerance(layer, z)
    if tol:
        params["tol"] = tol
    return params


async def mvt_tile(
    conn: psycopg.AsyncConnection, layers: Sequence[Layer], z: int, x: int, y: int,
    role: Role = PUBLIC,
) -> Tile:  # fmt: skip
    """One MVT tile holding every layer of ``layers`` shown at zoom ``z``, as ``role`` sees them
    (``conn`` must run as that role's database role)."""
    check_tile(z, x, y)
    parts: list[bytes] = []
    cut: list[str] = []
    personal: list[int] = []
    for layer in layers:
        if not layer.minzoom <= z <= layer.maxzoom:
            continue
        params = tile_params(layer, z, x, y)
        query = tile_query(layer, "tol" in params, role)
        # Binary results: the MVT bytes cross as they are, not as hex text twice their size.
        cur = await conn.execute(query, params, prepare=True, binary=True)
        row = await cur.fetchone()
        if row is None:
            continue
        found, mvt, ids = row
        if found > layer.tile_cap:  # cut: encode exactly the first ``tile_cap`` candidates
            cut.append(layer.id)
            cur = await conn.execute(
                query, {**params, "lim": layer.tile_cap}, prepare=True, binary=True
            )
            row = await cur.fetchone()
            mvt, ids = (row[1], row[2]) if row else (None, None)
        if mvt:
            parts.append(bytes(mvt))
            personal.extend(ids or ())
    return Tile(b"".join(parts), tuple(cut), tuple(sorted(personal)))


def raw_mvt_sql(layer: Layer, role: Role = PUBLIC) -> sql.Composed:
    """The plain ST_AsMVT statement for ``layer`` as ``role`` sees it (no cap): the benchmark's
    baseline (public by default, like the benchmark's anonymous requests). Same features as
    :func:`tile_query`: the envelope filter keeps the buffer's margin, or features drawn in a
    tile's buffer would be missing at its edges. Parameters: z, x, y, z, x, y."""
    if layer.view is None:
        raise InvalidInput(f"{layer.id} is not a vector layer")
    cols = sql.SQL(", ").join(
        sql.SQL("s.{}").format(sql.Identifier(p.name)) for p in layer.props_for(role)
    )
    return sql.SQL(
        "SELECT ST_AsMVT(t, {name}, {extent}, 'geom', 'fid') FROM ("
        " SELECT s.fid, {cols}, ST_AsMVTGeom(ST_Transform(s.geom, 3857),"
        " ST_TileEnvelope(%s, %s, %s), {extent}, {buffer}, true) AS geom"
        " FROM {view} s"
        " WHERE s.geom && ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => {margin}), 4326)) t"
    ).format(
        name=sql.Literal(layer.id),
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        margin=sql.Literal(MARGIN),
        cols=cols,
        view=sql.Identifier("layers", layer.view),
    )
