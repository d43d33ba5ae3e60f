"""Facility registry: facilities and their monitoring points from CSV or GeoJSON.

CSV: one row per point, the facility's columns repeated on each of its rows. GeoJSON: one
Point feature per facility whose ``points`` property lists its points. A file is validated
whole (every bad row named at once) and registered in one transaction; a re-import updates
facilities and points by code and adds datastreams, never removes one (readings stay).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.errors import ImportFileError
from sensors.facilities.regulations import check_point
from sensors.properties import POINT_KINDS, get_property
from sensors.stations import CODE_RE, COMMUNE_RE, coordinates, parameter_list, raise_errors

TAX_RE = re.compile(r"^[0-9]{10}(-[0-9]{3})?$")
#: Readings per hour of a point when the file does not say: Circular 10/2021 (as TT 24/2017
#: Điều 56 before it) wants one data file at least every 5 minutes.
READINGS_PER_HOUR = 12
CSV_REQUIRED = {
    "facility_code", "facility_name", "facility_lon", "facility_lat",
    "code", "name", "kind", "parameters", "regulation", "class",
}  # fmt: skip


@dataclass
class Point:
    """One monitoring point (a station of kind wastewater or stack), validated."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float
    parameters: list[str]
    regulation: str
    klass: str
    coefficients: dict[str, float]
    permit_limits: dict[str, float]
    readings_per_hour: int = READINGS_PER_HOUR


@dataclass
class Facility:
    """One facility with its points, validated."""

    code: str
    name: str
    lon: float
    lat: float
    tax_code: str | None = None
    address: str | None = None
    commune_code: str | None = None
    sector: str | None = None
    points: list[Point] = field(default_factory=list)


@dataclass
class ImportSummary:
    """What an import changed."""

    facilities: int
    facilities_created: int
    points: int
    points_created: int
    datastreams_added: int


def _text(props: dict[str, Any], key: str) -> str | None:
    value = str(props.get(key) or "").strip()
    return value or None


def _numbers(value: Any, where: str, what: str) -> dict[str, float]:
    """A {name: number} map from a dict or from "a=1;b=2" text."""
    if value in (None, ""):
        return {}
    items = value.items() if isinstance(value, dict) else (
        part.split("=", 1) if "=" in part else (part, "")
        for part in str(value).split(";") if part.strip()
    )  # fmt: skip
    out: dict[str, float] = {}
    for key, raw in items:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {what} {key!s}={raw!s} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{where}: {what} {key!s} is not finite")
        out[str(key).strip().lower()] = number
    return out


def validate_point(props: dict[str, Any], default: tuple[float, float], where: str) -> Point:
    """Check one point's properties; raises ValueError naming ``where``."""
    code = str(props.get("code") or "").strip()
    if not CODE_RE.match(code):
        raise ValueError(f"{where}: point code {code!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    kind = str(props.get("kind") or "").strip().lower()
    if kind not in POINT_KINDS:
        raise ValueError(f"{where}: kind {kind!r} must be one of {', '.join(POINT_KINDS)}")
    params = list(dict.fromkeys(parameter_list(props.get("parameters"))))
    if not params:
        raise ValueError(f"{where}: point {code} lists no parameters")
    unknown = [p for p in params if get_property(kind, p) is None]
    if unknown:
        raise ValueError(f"{where}: unknown {kind} parameter(s) {', '.join(unknown)}")
    regulation = str(props.get("regulation") or "").strip()
    klass = str(props.get("class") or "").strip().upper()
    coefficients = _numbers(props.get("coefficients"), where, "coefficient")
    permit = _numbers(props.get("permit_limits"), where, "permit limit")
    try:
        check_point(kind, regulation, klass, coefficients)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    bad = [p for p in permit if p not in params]
    if bad:
        raise ValueError(f"{where}: permit limit(s) for unmeasured {', '.join(bad)}")
    lon, lat = default
    if _text(props, "lon") or _text(props, "lat"):
        lon, lat = coordinates(props.get("lon"), props.get("lat"), where)
    rate = props.get("readings_per_hour") or READINGS_PER_HOUR
    try:
        per_hour = int(rate)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: readings_per_hour {rate!r} is not an integer") from None
    if not 1 <= per_hour <= 3600:
        raise ValueError(f"{where}: readings_per_hour {per_hour} must be 1-3600")
    name = _text(props, "name") or code
    return Point(code, name, kind, lon, lat, params, regulation, klass, coefficients, permit,
                 per_hour)  # fmt: skip


def validate_facility(props: dict[str, Any], where: str) -> Facility:
    """Check one facility's own properties (its points are added by the readers)."""
    code = str(props.get("facility_code") or props.get("code") or "").strip()
    if not CODE_RE.match(code):
        raise ValueError(f"{where}: facility code {code!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    name = _text(props, "facility_name") or _text(props, "name")
    if not name:
        raise ValueError(f"{where}: facility {code} has no name")
    lon, lat = coordinates(props.get("facility_lon"), props.get("facility_lat"), where)
    tax = _text(props, "tax_code")
    if tax is not None and not TAX_RE.match(tax):
        raise ValueError(f"{where}: tax_code {tax!r} must be 10 digits (or 10-3)")
    commune = _text(props, "commune_code")
    if commune is not None and not COMMUNE_RE.match(commune):
        raise ValueError(f"{where}: commune_code {commune!r} is not a 5-digit code")
    return Facility(code, name, lon, lat, tax, _text(props, "address"), commune,
                    _text(props, "sector"))  # fmt: skip


def _from_csv(text: str, name: str, errors: list[str]) -> list[Facility]:
    reader = csv.DictReader(io.StringIO(text))
    missing = CSV_REQUIRED - set(reader.fieldnames or [])
    if missing:
        raise ImportFileError(f"{name}: missing column(s) {', '.join(sorted(missing))}")
    out: dict[str, Facility] = {}
    for i, row in enumerate(reader):
        where = f"line {i + 2}"
        try:
            fac = validate_facility(row, where)
            known = out.setdefault(fac.code, fac)
            if (known.name, known.lon, known.lat) != (fac.name, fac.lon, fac.lat):
                raise ValueError(f"{where}: facility {fac.code} differs from its earlier rows")
            known.points.append(validate_point(row, (fac.lon, fac.lat), where))
        except ValueError as exc:
            errors.append(str(exc))
    return list(out.values())


def _from_geojson(text: str, name: str, errors: list[str]) -> list[Facility]:
    try:
        features = json.loads(text)["features"]
        assert isinstance(features, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise ImportFileError(f"{name}: not a GeoJSON FeatureCollection") from None
    out = []
    for i, feat in enumerate(features):
        where = f"feature {i + 1}"
        try:
            geom = (feat or {}).get("geometry") or {}
            if geom.get("type") != "Point":
                raise ValueError(f"{where}: geometry must be a Point")
            props = dict(feat.get("properties") or {})
            lon, lat = geom["coordinates"][:2]
            fac = validate_facility({**props, "facility_lon": lon, "facility_lat": lat}, where)
            points = props.get("points") or []
            if not isinstance(points, list) or not points:
                raise ValueError(f"{where}: facility {fac.code} lists no points")
            for j, p in enumerate(points):
                fac.points.append(validate_point(dict(p), (lon, lat), f"{where} point {j + 1}"))
            out.append(fac)
        except (ValueError, TypeError, KeyError) as exc:
            errors.append(str(exc) if isinstance(exc, ValueError) else f"{where}: {exc!r}")
    return out


def read_facilities(path: Path) -> list[Facility]:
    """Read and validate a whole CSV or GeoJSON file; every error at once (InvalidInput)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {path.name}: {exc}") from None
    errors: list[str] = []
    geo = path.suffix.lower() in (".geojson", ".json")
    facilities = (_from_geojson if geo else _from_csv)(text, path.name, errors)
    codes = [f.code for f in facilities]
    points = [p.code for f in facilities for p in f.points]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    raise_errors(errors + [f"facility {c} appears twice" for c in twice], "point", points)
    if not facilities:
        raise ImportFileError(f"{path.name} holds no facility")
    return facilities
