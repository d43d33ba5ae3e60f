"""Station registry: import stations and their datastreams from CSV or GeoJSON."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gis.errors import ImportFileError, InvalidInput
from sensors.properties import KINDS, POINT_KINDS, get_property
from sensors.store import notify_stations

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
COMMUNE_RE = re.compile(r"^[0-9]{5}$")
STATUSES = ("active", "inactive", "maintenance")
REQUIRED = {"code", "name", "kind", "lon", "lat", "parameters"}
CORE = {"code", "name", "kind", "lon", "lat", "parameters", "commune_code", "status"}
MAX_ERRORS = 20


@dataclass
class StationRecord:
    """One station to register, validated."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float
    parameters: list[str]
    commune_code: str | None = None
    status: str = "active"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportSummary:
    """What an import changed."""

    stations: int
    created: int
    datastreams_added: int
    communes_found: int
    codes: list[str]


def parameter_list(value: Any) -> list[str]:
    """Property codes from a list or from "a;b;c" text, lower-cased, blanks dropped."""
    items = [str(v) for v in value] if isinstance(value, list) else str(value or "").split(";")
    return [p.strip().lower() for p in items if p.strip()]


def coordinates(lon: Any, lat: Any, where: str) -> tuple[float, float]:
    """WGS 84 lon/lat as numbers in range; raises ValueError naming ``where``."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: lon/lat missing or not numbers") from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise ValueError(f"{where}: lon/lat ({x}, {y}) out of range")
    return x, y


def raise_errors(errors: list[str], what: str, codes: list[str]) -> None:
    """Add "<what> X appears twice" for repeated codes; raise every error at once (at most
    MAX_ERRORS shown) as InvalidInput."""
    twice = sorted({c for c in codes if codes.count(c) > 1})
    errors = errors + [f"{what} {c} appears twice" for c in twice]
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise InvalidInput("; ".join(errors[:MAX_ERRORS]) + more)


def check_communes(conn: psycopg.Connection, codes: Iterable[str | None]) -> None:
    """Raise InvalidInput naming the given commune codes that are not current communes."""
    given = sorted({c for c in codes if c})
    if not given:
        return
    rows = conn.execute("SELECT code FROM admin.communes WHERE code = ANY(%s)", [given])
    known = {c.strip() for (c,) in rows}
    unknown = [c for c in given if c not in known]
    if unknown:
        raise InvalidInput(f"unknown commune code(s): {', '.join(unknown)}")


def validate(props: dict[str, Any], where: str) -> StationRecord:
    """Check one station's properties; raises ValueError with a message naming ``where``."""
    code = str(props.get("code") or "").strip()
    if not CODE_RE.match(code):
        raise ValueError(f"{where}: code {code!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    name = str(props.get("name") or "").strip()
    if not name:
        raise ValueError(f"{where}: station {code} has no name")
    kind = str(props.get("kind") or "").strip().lower()
    if kind in POINT_KINDS:
        raise ValueError(f"{where}: a {kind} point belongs to a facility: iocgis facilities import")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind {kind!r} must be one of {', '.join(KINDS)}")
    lon, lat = coordinates(props.get("lon"), props.get("lat"), where)
    params = parameter_list(props.get("parameters"))
    if not params:
        raise ValueError(f"{where}: station {code} lists no parameters")
    bad = [p for p in params if get_property(kind, p) is None]
    if bad:
        raise ValueError(f"{where}: unknown {kind} parameter(s) {', '.join(bad)}")
    commune = str(props.get("commune_code") or "").strip() or None
    if commune is not None and not COMMUNE_RE.match(commune):
        raise ValueError(f"{where}: commune_code {commune!r} is not a 5-digit code")
    status = str(props.get("status") or "active").strip().lower()
    if status not in STATUSES:
        raise ValueError(f"{where}: status {status!r} must be one of {', '.join(STATUSES)}")
    meta = {k: v for k, v in props.items() if k not in CORE and v not in (None, "")}
    return StationRecord(code, name, kind, lon, lat, list(dict.fromkeys(params)), commune,
                         status, meta)


def read_records(path: Path) -> list[StationRecord]:
    """Read and validate every station of a CSV or GeoJSON file; all errors at once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {path.name}: {exc}") from None
    raw: list[tuple[str, dict[str, Any]]] = []
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(text)
            for i, feat in enumerate(doc["features"]):
                geom = feat.get("geometry") or {}
                if geom.get("type") != "Point":
                    raise ValueError(f"feature {i + 1}: geometry must be a Point")
                lon, lat = geom["coordinates"][:2]
                raw.append((f"feature {i + 1}", {**(feat.get("properties") or {}),
                                                 "lon": lon, "lat": lat}))
        except (ValueError, KeyError, TypeError) as exc:
            raise ImportFileError(f"{path.name}: not a GeoJSON FeatureCollection: {exc}") from None
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = REQUIRED - set(reader.fieldnames or [])
        if missing:
            raise ImportFileError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
        raw = [(f"line {i + 2}", dict(row)) for i, row in enumerate(reader)]
    records, errors = [], []
    for where, props in raw:
        try:
            records.append(validate(props, where))
        except ValueError as exc:
            errors.append(str(exc))
    raise_errors(errors, "station", [r.code for r in records])
    if not records:
        raise ImportFileError(f"{path.name} holds no station")
    return records


def register(conn: psycopg.Connection, records: Iterable[StationRecord]) -> ImportSummary:
    """Insert or update stations and add their datastreams, in the caller's transaction."""
    records = list(records)
    check_communes(conn, (r.commune_code for r in records))
    kinds: dict[str, str] = dict(conn.execute(
        "SELECT code, kind FROM sensor.stations WHERE code = ANY(%s)", [[r.code for r in records]]
    ).fetchall())
    changed = [r.code for r in records if r.code in kinds and kinds[r.code] != r.kind]
    if changed:
        raise InvalidInput(f"station kind cannot change (stations {', '.join(changed)})")
    added = found = 0
    for r in records:
        sid = conn.execute(
            "INSERT INTO sensor.stations (code, name, kind, geom, commune_code, status, metadata)"
            " VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom,"
            " commune_code = EXCLUDED.commune_code, status = EXCLUDED.status,"
            " metadata = EXCLUDED.metadata, updated_at = now() RETURNING id",
            [r.code, r.name, r.kind, r.lon, r.lat, r.commune_code, r.status, Jsonb(r.metadata)],
        ).fetchone()[0]  # type: ignore[index]
        if r.commune_code is None:
            found += conn.execute(
                "UPDATE sensor.stations s SET commune_code = (SELECT c.code FROM admin.communes c"
                " WHERE ST_Intersects(c.geom, s.geom) ORDER BY c.code LIMIT 1)"
                " WHERE s.id = %s RETURNING commune_code IS NOT NULL", [sid]
            ).fetchone()[0]  # type: ignore[index]
        for p in r.parameters:
            prop = get_property(r.kind, p)
            assert prop is not None  # validated
            cur = conn.execute(
                "INSERT INTO sensor.datastreams (station_id, property_code, unit)"
                " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", [sid, prop.code, prop.unit])
            added += cur.rowcount
    codes = [r.code for r in records]
    notify_stations(conn, codes)
    return ImportSummary(len(records), len(records) - len(kinds), added, found, codes)


def import_file(conn: psycopg.Connection, path: Path) -> ImportSummary:
    """Validate a whole file, then register it in one transaction (all or nothing)."""
    records = read_records(path)
    with conn.transaction():
        return register(conn, records)
