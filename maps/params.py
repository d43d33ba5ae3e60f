"""Request parameters declared once, so the OpenAPI document states every rule (titiler-style).

A value outside its rule is answered 400, by FastAPI's validation (path/query types, ranges,
patterns; maps.errors gives it our error shape) or by a domain check (InvalidInput) for rules a
schema cannot say (a bbox inside its CRS's range, a time window's span). Nothing reaches SQL
unchecked; strings that do are matched by a pattern (which also keeps NUL characters out:
PostgreSQL text cannot hold them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request

from gis.errors import InvalidInput
from layers.crs_uri import OutputCRS, parse_crs_uri
from layers.inputs import Interval, parse_bbox, parse_datetime
from layers.tiles import MAX_ZOOM, TMS

#: Most layers one vector tile may combine (the catalog has six vector layers; each is a query).
MAX_TILE_LAYERS = 8
#: Longest CQL2 filter, characters (a hand-written or QGIS filter is far shorter).
MAX_FILTER_CHARS = 8192
#: Longest value of a property filter (``?land_use=ODT``) and of a CRS URI.
MAX_VALUE_CHARS = 1024
#: Most property filters on one items request.
MAX_PROPERTY_FILTERS = 16
#: Largest sheet and parcel numbers (a commune has a few hundred sheets, a sheet < 10,000 parcels;
#: generous, and well inside PostgreSQL's integer).
MAX_SHEET = 100_000
MAX_PARCEL = 1_000_000
#: Farthest distance of /parcels/near-exceeding, metres (a station's surroundings, not a province).
MAX_DISTANCE_M = 20_000.0
#: Largest feature id of keyset paging (PostgreSQL bigint).
MAX_ID = 2**63 - 1
#: Longest ``from``/``to`` window of a station series, per interval: the answer stays under
#: ``sensors.contract.observations.MAX_POINTS`` (50,000) — a reading a minute for 31 days is
#: 44,640 points.
MAX_WINDOW = {
    "raw": timedelta(days=31),
    "hour": timedelta(days=731),
    "day": timedelta(days=7305),
}
#: Earliest and latest instants a station series may ask for.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

LAYER_ID = r"[a-z][a-z0-9_]{0,63}"
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Lon = Annotated[float, Query(ge=-180, le=180, description="longitude, WGS 84 degrees")]
Lat = Annotated[float, Query(ge=-90, le=90, description="latitude, WGS 84 degrees")]
CommuneCode = Annotated[
    str, Path(pattern=r"^[0-9]{5}$", description="commune code (5 digits, 2025 units)")
]
SheetNumber = Annotated[int, Path(ge=1, le=MAX_SHEET, description="map sheet number")]
ParcelNumber = Annotated[int, Path(ge=1, le=MAX_PARCEL, description="parcel number on its sheet")]
StationCode = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="station code (as registered)")
]
ParameterCode = Annotated[
    str, Query(pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="observed property, e.g. pm25")
]
OptionalParameter = Annotated[
    str | None,
    Query(pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="only this observed property"),
]
Distance = Annotated[
    float, Query(gt=0, le=MAX_DISTANCE_M, description="distance from the station, metres")
]
LayerId = Annotated[str, Path(pattern=f"^{LAYER_ID}$", description="layer id of the catalog")]
LayerNames = Annotated[
    str,
    Path(
        pattern=f"^{LAYER_ID}(,{LAYER_ID}){{0,{MAX_TILE_LAYERS - 1}}}$",
        description=f"one layer id or up to {MAX_TILE_LAYERS} distinct ids, comma-separated",
    ),
]
Zoom = Annotated[
    int,
    Path(
        ge=0,
        le=MAX_ZOOM,
        description="zoom level; outside a layer's minzoom–maxzoom the tile leaves that layer"
        " out (an empty tile, 200: a map keeps asking at every zoom)",
    ),
]
#: Columns and rows of the grid's deepest zoom: a bound for any zoom (check_tile checks the z's).
_GRID = TMS.matrix(MAX_ZOOM)
TileX = Annotated[int, Path(ge=0, le=_GRID.matrixWidth - 1, description="tile column (< 2^z)")]
TileY = Annotated[int, Path(ge=0, le=_GRID.matrixHeight - 1, description="tile row (< 2^z)")]
FeatureId = Annotated[str, Path(max_length=32, description="feature id")]
PageKey = Annotated[
    int | None, Query(ge=0, le=MAX_ID, description="keyset paging: a feature id from a link")
]
CrsUri = Annotated[
    str | None,
    Query(
        max_length=MAX_VALUE_CHARS,
        description="CRS URI: CRS84 (default) or one of a collection's `crs` list",
    ),
]
CqlFilter = Annotated[
    str | None,
    Query(
        alias="filter",
        max_length=MAX_FILTER_CHARS,
        pattern=_NO_CONTROL,
        description=f"CQL2 text or JSON, on the queryable properties (≤ {MAX_FILTER_CHARS} chars)",
    ),
]
DatetimeQuery = Annotated[
    str | None,
    Query(
        alias="datetime",
        max_length=100,
        description="RFC 3339 instant, date or interval (`a/b`). An open end is `..` or empty"
        " (`../b`, `/b`, `a/..`, `a/`); a start in year 0000 (QGIS's `0000-01-01T00:00:00Z/b`)"
        " is open too. Without an offset UTC is assumed; a date alone (also `2030-01-01T`, as"
        " GDAL sends it) is its whole day.",
    ),
]


def layer_names(names: str) -> list[str]:
    """The layer ids of a multi-layer path, each once (InvalidInput on a repeated id)."""
    ids = [name for name in names.split(",") if name]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a layer appears twice in the tile's layer list")
    if len(ids) > MAX_TILE_LAYERS:
        raise InvalidInput(f"a tile combines at most {MAX_TILE_LAYERS} layers")
    return ids


@dataclass(frozen=True)
class BBoxParams:
    """A checked bbox and the CRS it is in."""

    bbox: tuple[float, ...] | None
    crs: OutputCRS


async def bbox_params(
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="minx,miny,maxx,maxy (or six numbers with heights), finite, min < max,"
            " inside the range of `bbox-crs` (CRS84: the globe; projected VN-2000: Việt Nam's"
            " region)",
        ),
    ] = None,
    bbox_crs: Annotated[
        str | None,
        Query(alias="bbox-crs", max_length=MAX_VALUE_CHARS, description="CRS URI of `bbox`"),
    ] = None,
) -> BBoxParams:
    """``bbox`` and ``bbox-crs`` of an items request, checked together.

    A coroutine, like every dependency here: FastAPI runs a plain ``def`` one in a worker
    thread, a hand-over that costs more than the check.
    """
    crs = parse_crs_uri(bbox_crs)
    return BBoxParams(parse_bbox(bbox, crs), crs)


BBoxDep = Annotated[BBoxParams, Depends(bbox_params)]


async def datetime_param(datetime_: DatetimeQuery = None) -> Interval | None:
    """The ``datetime`` of an items request as (start, end)."""
    return parse_datetime(datetime_)


DatetimeDep = Annotated[Interval | None, Depends(datetime_param)]


def property_filters(request: Request, reserved: set[str]) -> tuple[tuple[str, str], ...]:
    """``?name=value`` property filters of an items request (names checked by the data layer)."""
    pairs = tuple((k, v) for k, v in request.query_params.multi_items() if k not in reserved)
    if len(pairs) > MAX_PROPERTY_FILTERS:
        raise InvalidInput(f"at most {MAX_PROPERTY_FILTERS} property filters")
    for name, value in pairs:
        if len(name) > 64 or len(value) > MAX_VALUE_CHARS:
            raise InvalidInput(f"property filters: names ≤ 64, values ≤ {MAX_VALUE_CHARS} chars")
        if "\x00" in name or "\x00" in value:
            raise InvalidInput("property filters cannot hold NUL characters")
    return pairs


@dataclass(frozen=True)
class TimeWindow:
    """A ``from``/``to`` window of a station series (UTC-aware, bounded)."""

    start: datetime
    end: datetime


_FROM_DOC = "start (RFC 3339; without an offset UTC is assumed; default: `to` − 24 h)"
_TO_DOC = "end, exclusive (RFC 3339; without an offset UTC is assumed; default: now)"
FromQuery = Annotated[datetime | None, Query(alias="from", description=_FROM_DOC)]
ToQuery = Annotated[datetime | None, Query(alias="to", description=_TO_DOC)]


def utc(value: datetime | None) -> datetime | None:
    """``value`` with UTC assumed when it carries no offset (None stays None)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _aware(value: datetime | None) -> datetime | None:
    value = utc(value)
    if value is None:
        return None
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput(f"times must lie between {EARLIEST:%Y} and {LATEST:%Y}")
    return value


def time_window(
    start: datetime | None,
    end: datetime | None,
    interval: Literal["raw", "hour", "day"] = "raw",
) -> TimeWindow:
    """``from``/``to`` checked: ``from`` < ``to``, span ≤ :data:`MAX_WINDOW` of the interval."""
    t1 = _aware(end) or datetime.now(UTC)
    t0 = _aware(start) or t1 - timedelta(hours=24)
    if t1 <= t0:
        raise InvalidInput("'to' must be after 'from'")
    longest = MAX_WINDOW[interval]
    if t1 - t0 > longest:
        raise InvalidInput(f"the window is longer than {longest.days} days for {interval} values")
    return TimeWindow(t0, t1)
