"""``import_parcels``: check a parcel file, stream it in batches, write it in one transaction."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import shapely

from gis.crs import is_projected_metres, parse_crs
from gis.db import connect
from gis.errors import ImportFileError, NotFound, UnknownCRS
from gis.landuse import code_lookup
from gis.parcels.bulk import (
    drop_bulk_indexes,
    drop_foreign_keys,
    restore_foreign_keys,
    restore_indexes,
    tune_session,
)
from gis.parcels.model import ImportSummary
from gis.parcels.prepare import Context, Prepared, prepare_batch, transformer
from gis.parcels.read import (
    SourceFile,
    contract_frame,
    iter_batches,
    iter_keys,
    open_source,
    parse_field_map,
)
from gis.parcels.validate import as_positive_int, commune_codes_arrow, valid_commune_format
from gis.parcels.write import Writer

#: Features per batch: large enough for vectorised work, small enough to bound memory, and
#: small enough that preparing the first batch (not overlapped with writing) is short.
#: Measured at 100k parcels: 12,500 beats 8,000 and 25,000 (by about 1.3 s).
BATCH_SIZE = 12_500
#: An import of at least this many features, and at least as many as the current parcels,
#: rebuilds the secondary indexes and checks the foreign keys once at the end instead of row by
#: row (it locks the land tables until it commits).
BULK_MIN_FEATURES = 100_000

Progress = Callable[[int, int], None]
Batch = tuple[int, dict[str, Any], np.ndarray, Prepared]


def _file_sha256(path: Path) -> str:
    """SHA-256 of the file (recorded with the import)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_keys(
    src: SourceFile, commune: str | None, batch_size: int = 100_000
) -> tuple[list[str], np.ndarray]:
    """The file's distinct commune codes, and the sorted feature indexes whose
    (commune, sheet, parcel) is repeated in the file.

    The one whole-file pass of an import that otherwise streams: read in batches, each turned
    into integers at once (a commune is its index among the file's codes), so the pass holds
    ~60 bytes a feature at its peak (2.5 million features: 156 MB).
    """
    index: dict[str, int] = {}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for n, keys in iter_keys(src, batch_size):
        encoded = pc.dictionary_encode(commune_codes_arrow(keys.get("commune_code"), n, commune))
        to_file = np.array([index.setdefault(code, len(index))
                            for code in encoded.dictionary.to_pylist()] or [-1], dtype=np.int32)
        local = pc.fill_null(encoded.indices, -1).to_numpy()
        parts.append((np.where(local >= 0, to_file[local], -1).astype(np.int32),
                      as_positive_int(keys.get("sheet_number"), n)[0],
                      as_positive_int(keys.get("parcel_number"), n)[0]))  # fmt: skip
    c, s, p = (np.concatenate(column) for column in zip(*parts, strict=True)) if parts else (
        np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64))
    del parts
    n = len(c)
    order = np.lexsort((p, s, c))
    same = (np.diff(c[order]) == 0) & (np.diff(s[order]) == 0) & (np.diff(p[order]) == 0)
    repeated = np.zeros(n, dtype=bool)
    repeated[order[1:][same]] = True  # both members of each equal pair
    repeated[order[:-1][same]] = True
    return list(index), np.flatnonzero(repeated & (s > 0) & (p > 0))


def _json_value(value: Any) -> Any:
    """A JSON-safe form of one raw attribute value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def raw_feature(attrs: dict[str, Any], wkb: np.ndarray, pos: int, crs: str) -> dict[str, Any]:
    """The feature as read from the file: its properties and its geometry (WKT, file CRS)."""
    props = {str(k): _json_value(col[pos].as_py()) for k, col in attrs.items()}
    geom = shapely.from_wkb(wkb[pos], on_invalid="ignore") if wkb[pos] is not None else None
    return {
        "properties": props,
        "geometry_wkt": None if geom is None else shapely.to_wkt(geom, rounding_precision=-1),
        "geometry_wkb": None if wkb[pos] is None or geom is not None else bytes(wkb[pos]).hex(),
        "crs": crs,
    }


def _is_bulk(conn: Any, features: int) -> bool:
    """A large load relative to the table: rebuild rather than grow the secondary indexes."""
    if features < BULK_MIN_FEATURES:
        return False
    row = conn.execute(
        "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'land.parcels'::regclass"
    ).fetchone()
    return bool(features >= float(row[0] if row else 0))


def _check_target(conn: Any, srid: int) -> None:
    """The sheet CRS must be a projected metre CRS that PostGIS knows."""
    if not is_projected_metres(srid):
        raise UnknownCRS(f"EPSG:{srid} is not a projected CRS in metres (give the TM-3 zone)")
    if conn.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s", (srid,)).fetchone() is None:
        raise UnknownCRS(f"EPSG:{srid} is not known to PostGIS")


def import_parcels(
    path: str | Path,
    crs: str | int,
    *,
    commune: str | None = None,
    layer: str | None = None,
    field_map: dict[str, str] | str | None = None,
    progress: Progress | None = None,
    url: str | None = None,
    batch_size: int = BATCH_SIZE,
    bulk: bool | None = None,
    origin: str | Path | None = None,
    extra_rejects: Sequence[tuple[str, dict[str, Any]]] = (),
) -> ImportSummary:
    """Import a parcel file into land.parcels (one transaction); rejects go to import_rejects.

    ``bulk`` rebuilds the secondary indexes and re-checks the foreign keys once after loading
    (default: for large first loads, see BULK_MIN_FEATURES); readers of land.parcels wait
    until the import commits. When ``path`` was derived from another file (a DGN sheet's
    parcels), ``origin`` is that file: its name and SHA-256 are recorded, and
    ``extra_rejects`` (reason, raw) — what was wrong in it before any parcel was made — are
    stored as rejects of the same import, in the same transaction.
    """
    srid = parse_crs(crs)
    mapping = parse_field_map(field_map) if isinstance(field_map, str | None) else field_map
    src = open_source(path, layer, mapping)
    if commune is None and "commune_code" not in src.columns:
        raise ImportFileError(f"{src.path.name} has no commune_code field: give --commune")
    recorded = Path(origin) if origin is not None else src.path
    summary = ImportSummary(None, recorded.name, src.layer, srid)
    conn = connect(url)
    try:
        with conn.transaction():
            _check_target(conn, srid)
            if commune is not None and conn.execute(
                "SELECT 1 FROM admin.communes WHERE code = %s", (commune,)
            ).fetchone() is None:
                raise NotFound(f"no commune has code {commune!r}")
            summary.import_id = conn.execute(
                "INSERT INTO land.imports (source, sha256, layer, srid, commune_code)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (recorded.name, _file_sha256(recorded), src.layer, srid, commune),
            ).fetchone()[0]  # type: ignore[index]
            tune_session(conn)
            bulk = bulk if bulk is not None else _is_bulk(conn, src.features)
            _run(conn, src, srid, commune, summary, progress, batch_size, url, bulk)
            if extra_rejects:
                Writer(conn, srid, summary.import_id).write_rejects(
                    (None, reason, raw) for reason, raw in extra_rejects
                )
                for reason, _ in extra_rejects:
                    key = reason.split(":", 1)[0]
                    summary.rejected[key] = summary.rejected.get(key, 0) + 1
            conn.execute(
                "UPDATE land.imports SET finished_at = clock_timestamp(), added = %s,"
                " versioned = %s, unchanged = %s, rejected = %s WHERE id = %s",
                (summary.added, summary.versioned, summary.unchanged, summary.rejected_total,
                 summary.import_id),
            )
    finally:
        conn.close()
    return summary


def _prepared_batches(src: SourceFile, ctx: Context, batch_size: int) -> Iterator[Batch]:
    """Read and prepare batches one ahead, in a worker thread, while the caller writes.

    The heavy work (GEOS, PROJ, Arrow, COPY waits) releases the GIL, so preparing the next
    batch overlaps with the database writing the previous one.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parcels-prepare") as pool:
        batches = iter_batches(src, batch_size)

        def work(offset: int) -> Batch | None:
            item = next(batches, None)
            if item is None:
                return None
            attrs, wkb = item
            return offset, attrs, wkb, prepare_batch(contract_frame(attrs, src), wkb, offset, ctx)

        future = pool.submit(work, 0)
        while (batch := future.result()) is not None:
            future = pool.submit(work, batch[0] + len(batch[2]))
            yield batch


def _run(conn: Any, src: SourceFile, srid: int, commune: str | None, summary: ImportSummary,
         progress: Progress | None, batch_size: int, url: str | None, bulk: bool) -> None:
    """Stream the file through prepare → write, counting as it goes."""
    writer = Writer(conn, srid, summary.import_id)
    file_codes, duplicates = _file_keys(src, commune)
    with connect(url, autocommit=True) as lookup_conn:
        # Lookups for the preparing thread use their own connection (the writer's is busy),
        # all read before a bulk load locks the tables they live in.
        lookup_conn.execute("SET lock_timeout = '30s'")  # an error, never a silent wait
        lookups = Writer(lookup_conn, srid, None)
        found = np.asarray(file_codes, dtype=object)
        codes = set(found[valid_commune_format(found)])
        lookups.preload(codes)
        writer.preload_sheets(c for c in codes if lookups.commune_shape(c) is not None)
        ctx = Context(
            srid=srid,
            commune=commune,
            lookup=code_lookup(conn),
            to_native=transformer(src.crs, srid),
            duplicates=duplicates,
            commune_shape=lookups.commune_shape,
            sheet_srid=lookups.sheet_srid,
        )
        rebuild = drop_bulk_indexes(conn) if bulk else []
        foreign_keys = drop_foreign_keys(conn) if bulk else []
        crs_text = src.crs.to_string()
        for offset, attrs, wkb, prepared in _prepared_batches(src, ctx, batch_size):
            added, versioned, unchanged = writer.write(prepared)
            summary.added += added
            summary.versioned += versioned
            summary.unchanged += unchanged
            if prepared.rejects:
                writer.write_rejects(
                    (offset + pos, why, raw_feature(attrs, wkb, pos, crs_text))
                    for pos, why in prepared.rejects
                )
                for _, why in prepared.rejects:
                    key = why.split(":", 1)[0]
                    summary.rejected[key] = summary.rejected.get(key, 0) + 1
            summary.features = offset + len(wkb)
            if progress is not None:
                progress(summary.features, src.features)
        restore_foreign_keys(conn, foreign_keys)
        restore_indexes(conn, rebuild)
    if summary.features == 0:
        raise ImportFileError(f"{src.path.name} (layer {src.layer}) is empty: no features")


__all__ = ["BATCH_SIZE", "BULK_MIN_FEATURES", "import_parcels"]
