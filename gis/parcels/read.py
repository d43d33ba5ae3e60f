"""Reading parcel files (GeoPackage, Shapefile, GeoJSON) with pyogrio's Arrow stream.

A file is opened once to check it (readable, has a geometry, a CRS and features, carries the
contract fields) and then streamed in batches so that a million parcels fit in memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
from pyproj import CRS

from gis.errors import ImportFileError, InvalidInput
from gis.parcels.model import CONTRACT_FIELDS, REQUIRED_FIELDS

#: Shapefile (DBF) field names are cut to 10 characters; the cut names are matched too.
DBF_NAME_LENGTH = 10


@dataclass(frozen=True)
class SourceFile:
    """A checked input file: its layer, CRS, feature count and contract → file field names."""

    path: Path
    layer: str
    driver: str
    crs: CRS
    features: int
    columns: dict[str, str]  # contract field → file field


def parse_field_map(text: str | None) -> dict[str, str]:
    """Parse ``sheet_number=SOTO,parcel_number=SOTHUA`` into {contract field: file field}."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        target, sep, source = part.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise InvalidInput(f"bad field map entry {part.strip()!r}: use field=FILEFIELD")
        if target not in CONTRACT_FIELDS:
            raise InvalidInput(
                f"unknown field {target!r} in the field map:"
                f" use one of {', '.join(CONTRACT_FIELDS)}"
            )
        mapping[target] = source
    return mapping


def _resolve_columns(fields: list[str], field_map: dict[str, str]) -> dict[str, str]:
    """Match contract fields to file fields: field map first, then same name, then DBF-cut name."""
    by_lower = {f.lower(): f for f in fields}
    columns: dict[str, str] = {}
    for name in CONTRACT_FIELDS:
        if name in field_map:
            source = by_lower.get(field_map[name].lower())
            if source is None:
                raise ImportFileError(
                    f"field map names {field_map[name]!r}, which the file does not have"
                    f" (fields: {', '.join(fields) or 'none'})"
                )
            columns[name] = source
        elif name in by_lower:
            columns[name] = by_lower[name]
        elif name[:DBF_NAME_LENGTH] in by_lower:
            columns[name] = by_lower[name[:DBF_NAME_LENGTH]]
    missing = [n for n in REQUIRED_FIELDS if n not in columns]
    if missing:
        raise ImportFileError(
            f"the file lacks field(s) {', '.join(missing)} (fields: {', '.join(fields) or 'none'});"
            " rename them with --field-map"
        )
    return columns


def open_source(
    path: str | Path, layer: str | None = None, field_map: dict[str, str] | None = None
) -> SourceFile:
    """Check that ``path`` is a usable parcel file; raise ImportFileError with one clear line."""
    p = Path(path)
    if not p.exists():
        raise ImportFileError(f"{p.name}: no such file")
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(p)]
        if layer is not None and layer not in layers:
            raise ImportFileError(f"{p.name} has no layer {layer!r} (layers: {', '.join(layers)})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = pyogrio.read_info(p, layer=layer, force_feature_count=True)
    except pyogrio.errors.DataSourceError:
        raise ImportFileError(f"{p.name} is not a GIS file GDAL can read") from None
    except pyogrio.errors.DataLayerError as exc:
        raise ImportFileError(f"{p.name}: cannot read the layer ({exc})") from None
    name = str(info.get("layer_name") or layer or layers[0])
    if not info.get("geometry_type"):
        raise ImportFileError(f"{p.name} (layer {name}) has no geometry column")
    if not info.get("features"):
        raise ImportFileError(f"{p.name} (layer {name}) is empty: no features")
    if not info.get("crs"):
        raise ImportFileError(
            f"{p.name} (layer {name}) has no CRS: give the file one (e.g. a .prj for a Shapefile)"
        )
    try:
        crs = CRS.from_user_input(info["crs"])
    except Exception:
        raise ImportFileError(f"{p.name}: its CRS is not understood: {info['crs']}") from None
    columns = _resolve_columns([str(f) for f in info["fields"]], field_map or {})
    return SourceFile(p, name, str(info["driver"]), crs, int(info["features"]), columns)


Columns = dict[str, Any]


def iter_keys(src: SourceFile, batch_size: int = 100_000) -> Iterator[tuple[int, Columns]]:
    """(features, key fields present by contract name) per batch of the file, in file order —
    for duplicate detection before writing, without holding the file's text in memory."""
    names = [n for n in ("commune_code", "sheet_number", "parcel_number") if n in src.columns]
    with pyogrio.raw.open_arrow(
        src.path, layer=src.layer, columns=[src.columns[n] for n in names], read_geometry=False,
        batch_size=batch_size, use_pyarrow=True,
    ) as (_meta, reader):  # fmt: skip
        for batch in reader:
            yield batch.num_rows, {n: batch.column(src.columns[n]) for n in names}


def iter_batches(src: SourceFile, batch_size: int) -> Iterator[tuple[Columns, np.ndarray]]:
    """Yield (attributes with the file's own field names, WKB geometries) per batch, in order."""
    with pyogrio.raw.open_arrow(
        src.path, layer=src.layer, batch_size=batch_size, use_pyarrow=True
    ) as (meta, reader):
        geom_name = meta.get("geometry_name") or "wkb_geometry"
        for batch in reader:
            idx = batch.schema.get_field_index(geom_name)
            wkb = batch.column(idx).to_numpy(zero_copy_only=False)
            attrs = {name: batch.column(name) for name in batch.schema.names if name != geom_name}
            yield attrs, np.asarray(wkb, dtype=object)


def contract_frame(attrs: Columns, src: SourceFile) -> Columns:
    """The contract fields of a batch under their contract names (absent ones as None)."""
    return {name: attrs[src.columns[name]] if name in src.columns else None
            for name in CONTRACT_FIELDS}
