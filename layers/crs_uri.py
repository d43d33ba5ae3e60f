"""CRS URIs of OGC API Features Part 2: the CRSs we serve (WGS 84, Web Mercator, VN-2000)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS, Transformer

from gis.crs import VN2000_CRS
from gis.errors import UnknownCRS

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
#: Every CRS a collection can be read in (CRS84 first: the default).
SUPPORTED_EPSG: tuple[int, ...] = (4326, 3857, *VN2000_CRS)

_EPSG_PATTERNS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$"),
    re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.IGNORECASE),
)
_CRS84 = {CRS84, "CRS84", "OGC:CRS84", "[OGC:CRS84]", "urn:ogc:def:crs:OGC:1.3:CRS84",
          "http://www.opengis.net/def/crs/OGC/0/CRS84"}  # fmt: skip


@dataclass(frozen=True)
class OutputCRS:
    """A CRS of a request: its SRID, URI, whether its first axis is latitude/northing."""

    srid: int
    uri: str
    lat_first: bool

    @property
    def geographic(self) -> bool:
        """Degrees (decimals chosen accordingly)."""
        return _is_geographic(self.srid)


@lru_cache(maxsize=64)
def _is_geographic(srid: int) -> bool:
    return bool(CRS.from_epsg(srid).is_geographic)


@lru_cache(maxsize=64)
def _lat_first(srid: int) -> bool:
    axes = CRS.from_epsg(srid).axis_info
    return bool(axes) and axes[0].direction in ("north", "south")


def crs_list() -> list[str]:
    """URIs of every supported CRS."""
    return [CRS84, *(EPSG_URI.format(code) for code in SUPPORTED_EPSG)]


def parse_crs_uri(text: str | None) -> OutputCRS:
    """Parse a ``crs``/``bbox-crs`` value; raise UnknownCRS when we do not serve it."""
    if text is None or text.strip() in _CRS84:
        return OutputCRS(4326, CRS84, False)
    raw = text.strip()
    for pattern in _EPSG_PATTERNS:
        match = pattern.match(raw)
        if match:
            code = int(match.group(1))
            if code not in SUPPORTED_EPSG:
                break
            return OutputCRS(code, EPSG_URI.format(code), _lat_first(code))
    raise UnknownCRS(
        f"unsupported CRS {raw!r}; supported: CRS84 and EPSG "
        + ", ".join(str(c) for c in SUPPORTED_EPSG)
    )


#: Longitude/latitude box a VN-2000 or projected request may reach: Việt Nam, its sea and a
#: margin (the grids of its TM-3 zones are only meaningful here; far outside, PROJ fails).
REGION_LONLAT = (95.0, 0.0, 120.0, 30.0)
#: Web Mercator's square world, metres.
MERCATOR_HALF = 20037508.342789244


@lru_cache(maxsize=64)
def crs_range(srid: int) -> tuple[float, float, float, float]:
    """The box (east/north axis order) a coordinate in ``srid`` must lie in to be served.

    Geographic CRSs: the whole globe. Web Mercator: its square world. The projected VN-2000
    CRSs: :data:`REGION_LONLAT` projected into the CRS.
    """
    if _is_geographic(srid):
        return (-180.0, -90.0, 180.0, 90.0)
    if srid == 3857:
        return (-MERCATOR_HALF, -MERCATOR_HALF, MERCATOR_HALF, MERCATOR_HALF)
    transformer = Transformer.from_crs(4326, srid, always_xy=True)
    minx, miny, maxx, maxy = transformer.transform_bounds(*REGION_LONLAT, densify_pts=21)
    return (float(minx), float(miny), float(maxx), float(maxy))
