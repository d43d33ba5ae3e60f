"""VN-2000 coordinate reference systems: EPSG codes, TM-3 zones and the EPSG:6960 datum shift.

Definitions are resolved from PROJ by EPSG code, never typed by hand (vn-standards §4).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS
from pyproj.crs import CoordinateOperation
from pyproj.enums import WktVersion

from gis.errors import UnknownCRS

WGS84 = 4326
VN2000_GEOGRAPHIC = 4756
VN2000_UTM = (3405, 3406)
#: The datum shift the law prescribes (Decision 05/2007/QĐ-BTNMT).
VN2000_TO_WGS84_OPERATION = 6960

#: TM-3 provincial zones (k = 0.9999): central meridian in decimal degrees → EPSG code.
TM3_ZONES: dict[float, int] = {
    102.0: 5896,
    103.0: 9205,
    104.0: 9206,
    104.5: 9207,
    104.75: 9208,
    105.0: 5897,
    105.5: 9209,
    105.75: 9210,
    106.0: 9211,
    106.25: 9212,
    106.5: 9213,
    107.0: 9214,
    107.25: 9215,
    107.5: 9216,
    107.75: 5899,
    108.0: 5898,
    108.25: 9217,
    108.5: 9218,
}

#: Every VN-2000 CRS the platform uses.
VN2000_CRS: tuple[int, ...] = (VN2000_GEOGRAPHIC, *VN2000_UTM, *sorted(TM3_ZONES.values()))


@dataclass(frozen=True)
class SpatialRefRow:
    """One row for PostGIS's ``spatial_ref_sys``.

    ``auth_name``/``auth_srid`` stay empty on purpose: given ``EPSG:NNNN`` PostGIS lets PROJ
    choose the datum shift, and inside the "Mekong delta blocks" area PROJ picks EPSG:5194,
    0.8 m away from the legal EPSG:6960 (HCMC, Cần Thơ). Without an authority PostGIS reads
    ``srtext``, a CRS bound to EPSG:6960 that still names its EPSG code in ``AUTHORITY``.
    """

    srid: int
    srtext: str
    proj4text: str
    auth_name: str | None = None
    auth_srid: int | None = None


def towgs84_parameters() -> tuple[float, ...]:
    """The EPSG:6960 Helmert parameters as a PROJ ``+towgs84`` (position-vector) 7-tuple.

    EPSG publishes 6960 in the coordinate-frame convention; ``+towgs84`` uses position
    vector, so the three rotations change sign (the "sign trap" of vn-standards §4).
    """
    op = CoordinateOperation.from_epsg(VN2000_TO_WGS84_OPERATION)
    values = {p.name: float(p.value) for p in op.params}
    if "Coordinate Frame" not in op.method_name:
        raise RuntimeError(f"unexpected method for EPSG:6960: {op.method_name}")
    return (
        values["X-axis translation"],
        values["Y-axis translation"],
        values["Z-axis translation"],
        -values["X-axis rotation"],
        -values["Y-axis rotation"],
        -values["Z-axis rotation"],
        values["Scale difference"],
    )


def bound_crs(epsg: int) -> CRS:
    """EPSG:``epsg`` bound to WGS 84 through the EPSG:6960 transformation."""
    return CRS.from_json_dict(
        {
            "type": "BoundCRS",
            "source_crs": CRS.from_epsg(epsg).to_json_dict(),
            "target_crs": CRS.from_epsg(WGS84).to_json_dict(),
            "transformation": CoordinateOperation.from_epsg(
                VN2000_TO_WGS84_OPERATION
            ).to_json_dict(),
        }
    )


def spatial_ref_row(epsg: int) -> SpatialRefRow:
    """Build the ``spatial_ref_sys`` row for a VN-2000 EPSG code from PROJ's definitions."""
    crs = CRS.from_epsg(epsg)
    with warnings.catch_warnings():  # PROJ warns that PROJ strings are lossy; we add towgs84
        warnings.simplefilter("ignore", UserWarning)
        base = crs.to_proj4().replace(" +type=crs", "").strip()
    towgs84 = ",".join(repr(v) for v in towgs84_parameters())
    proj4 = base.replace("+ellps=WGS84", f"+ellps=WGS84 +towgs84={towgs84}")
    return SpatialRefRow(epsg, bound_crs(epsg).to_wkt(WktVersion.WKT1_GDAL), proj4)


def parse_crs(text: str | int) -> int:
    """Return the EPSG code of ``EPSG:NNNN`` / ``NNNN``; raise :class:`UnknownCRS` otherwise."""
    raw = str(text).strip()
    code = raw.upper().removeprefix("EPSG:")
    if not code.isdigit():
        raise UnknownCRS(f"unknown CRS {raw!r}: give it as EPSG:NNNN")
    epsg = int(code)
    try:
        CRS.from_epsg(epsg)
    except Exception as exc:  # pyproj raises CRSError with PROJ's internal text
        raise UnknownCRS(f"unknown CRS EPSG:{epsg}") from exc
    return epsg


@lru_cache(maxsize=64)
def is_projected_metres(epsg: int) -> bool:
    """True when EPSG:``epsg`` is a projected CRS with metre units (areas can be measured)."""
    crs = CRS.from_epsg(epsg)
    return bool(crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name == "metre")


def tm3_zone(central_meridian: float) -> int:
    """EPSG code of the VN-2000 TM-3 zone with this central meridian (decimal degrees)."""
    try:
        return TM3_ZONES[round(central_meridian * 4) / 4]
    except KeyError:
        raise UnknownCRS(f"no VN-2000 TM-3 zone has central meridian {central_meridian}") from None
