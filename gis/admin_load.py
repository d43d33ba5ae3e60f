"""Load the shipped administrative-unit files (2025 units, former units, mappings) into PostGIS.

The files live in ``data/admin/`` (see ``data/SOURCES.md``). The load is one transaction of
COPYs into temporary tables followed by upserts that touch only rows whose values differ, so a
second run changes nothing. Data problems found on the way are reported in the summary.
"""

from __future__ import annotations

import csv
import gzip
import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
import pyogrio
import shapely
from psycopg import sql

from gis.admin_mapping import (
    FormerCommune,
    assign_tm3_srids,
    district_origins,
    former_province_rows,
    mark_divided,
    parse_former_communes,
    resolve_successors,
)
from gis.crs import WGS84
from gis.db import transaction
from gis.errors import ImportFileError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "admin"
PROVINCES_FILE = "vn_provinces_34_2025.geojson.gz"
COMMUNES_FILE = "vn_communes_3321_2025_simplified_0p001.geojson.gz"
HANOI_FILE = "hanoi_communes_126_2025_full.geojson.gz"
HANOI_CODE = "01"
PROVINCE_MAPPING_FILE = "vn_province_mapping_63_to_34.csv"
MERIDIANS_FILE = "vn_tm3_central_meridians_63_pre2025.csv"
WARD_MAPPING_FILE = "vn_ward_mapping_legacy_to_2025.csv.gz"

#: ``loai_dvhc`` of the boundary files → the ``kind`` codes of migration 0002_admin.
PROVINCE_KINDS = {"Tỉnh": "tinh", "Thành phố": "thanh_pho"}
COMMUNE_KINDS = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac_khu"}

PROVINCE_COLUMNS = ("code", "name", "full_name", "name_en", "kind", "area_km2", "geom")
COMMUNE_COLUMNS = (
    "code", "province_code", "name", "full_name", "name_en", "kind", "area_km2", "tm3_srid",
    "geom",
)  # fmt: skip
FORMER_PROVINCE_COLUMNS = ("code", "name", "province_code", "central_meridian", "tm3_srid")
FORMER_COMMUNE_COLUMNS = (
    "code", "name", "district_code", "district_name", "former_province_code", "commune_code",
    "divided",
)  # fmt: skip


@dataclass
class TableCount:
    """What an upsert did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class LoadSummary:
    """Result of :func:`load_admin_units`: counts per table and the data problems found."""

    provinces: TableCount
    communes: TableCount
    former_provinces: TableCount
    former_communes: TableCount
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the load inserted, updated or deleted any row."""
        return any(
            c.inserted or c.updated or c.deleted
            for c in (self.provinces, self.communes, self.former_provinces, self.former_communes)
        )


def read_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Read a gzipped GeoJSON boundary file; geometries as valid WGS 84 MultiPolygons."""
    if not path.exists():
        raise ImportFileError(f"admin data file missing: {path.name}")
    frame = pyogrio.read_dataframe(f"/vsigzip/{path}")
    if frame.crs is None or frame.crs.to_epsg() != WGS84:
        raise ImportFileError(f"{path.name}: expected WGS 84 (EPSG:4326), got {frame.crs}")
    geoms = frame.geometry.values
    if not shapely.is_valid(geoms).all() or set(shapely.get_type_id(geoms)) != {6}:
        raise ImportFileError(f"{path.name}: geometries must be valid MultiPolygons")
    # Missing properties must reach the database as NULL, not as NaN ("NaN" for a name).
    props = [c for c in frame.columns if c != frame.geometry.name]
    frame[props] = frame[props].astype(object).where(frame[props].notna(), None)
    return frame


def _hex_ewkb(geoms: Any) -> list[str]:
    """Hex EWKB (SRID 4326) of each geometry, the text form PostGIS's COPY input accepts."""
    with_srid = shapely.set_srid(geoms, WGS84)
    # GEOS writes hex slowly; binary WKB then bytes.hex() is an order of magnitude faster.
    return [b.hex() for b in shapely.to_wkb(with_srid, include_srid=True)]


def check_codes(codes: Iterable[str], digits: int, what: str) -> None:
    """Every administrative code must be ``digits`` digits; a bad one stops the load."""
    bad = sorted({str(c) for c in codes if not (str(c).isdigit() and len(str(c)) == digits)})
    if bad:
        raise ImportFileError(f"{what} codes must be {digits} digits, got {bad[:5]}")


def _number(value: Any) -> float | None:
    """A float, or None for a missing value."""
    return None if value is None else float(value)


def _kind(value: str, kinds: dict[str, str], what: str) -> str:
    """Map a Vietnamese unit type to its code; an unknown type stops the load."""
    try:
        return kinds[value]
    except KeyError:
        raise ImportFileError(f"unknown {what} type {value!r} in the admin data") from None


def province_rows(frame: gpd.GeoDataFrame) -> list[tuple[Any, ...]]:
    """Rows for ``admin.provinces`` from the 34-province boundary file."""
    wkb = _hex_ewkb(frame.geometry.values)
    return [
        (r.ma_tinh, r.ten_tinh, r.ten_day_du, r.name_en,
         _kind(r.loai_dvhc, PROVINCE_KINDS, "province"), _number(r.area_km2), g)
        for r, g in zip(frame.itertuples(index=False), wkb, strict=True)
    ]  # fmt: skip


def commune_frame(data_dir: Path, problems: list[str]) -> gpd.GeoDataFrame:
    """The 3,321 communes: the simplified file, with Hà Nội's at full resolution."""
    simplified = read_boundaries(data_dir / COMMUNES_FILE)
    hanoi = read_boundaries(data_dir / HANOI_FILE)
    wanted = set(simplified.loc[simplified.ma_tinh == HANOI_CODE, "ma_xa"])
    if set(hanoi.ma_xa) != wanted or set(hanoi.ma_tinh) != {HANOI_CODE}:
        problems.append(
            f"{HANOI_FILE}: its codes differ from province {HANOI_CODE} in {COMMUNES_FILE}; "
            "the full-resolution file replaces that province as given"
        )
    rest = simplified[simplified.ma_tinh != HANOI_CODE]
    frame = gpd.GeoDataFrame(pd.concat([rest, hanoi], ignore_index=True), crs=WGS84)
    duplicated = sorted(set(frame.ma_xa[frame.ma_xa.duplicated()]))
    if duplicated:
        raise ImportFileError(f"duplicate commune codes in the admin data: {duplicated[:10]}")
    return frame


def commune_rows(frame: gpd.GeoDataFrame, tm3: dict[str, int | None]) -> list[tuple[Any, ...]]:
    """Rows for ``admin.communes``; ``tm3`` gives each commune's TM-3 zone."""
    wkb = _hex_ewkb(frame.geometry.values)
    return [
        (r.ma_xa, r.ma_tinh, r.ten_xa, r.ten_day_du, r.name_en,
         _kind(r.loai_dvhc, COMMUNE_KINDS, "commune"), _number(r.area_km2), tm3.get(r.ma_xa), g)
        for r, g in zip(frame.itertuples(index=False), wkb, strict=True)
    ]  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a UTF-8 CSV (plain or ``.gz``) into dicts of strings."""
    if not path.exists():
        raise ImportFileError(f"admin data file missing: {path.name}")
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _copy(cur: psycopg.Cursor, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY ``rows`` into a temporary twin of ``admin.<table>``."""
    stage = sql.Identifier(f"stage_{table}")
    cur.execute(
        sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
            stage, sql.Identifier("admin", table)
        )
    )
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)) as copy:
        for row in rows:
            copy.write_row(row)


def _upsert(
    cur: psycopg.Cursor, table: str, columns: Sequence[str], keys: Sequence[str], total: int
) -> TableCount:
    """Insert new rows, update rows whose values differ, leave equal rows untouched."""
    ident = sql.Identifier
    values = [c for c in columns if c not in keys]
    query = sql.SQL(
        "INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM {stage} "
        "ON CONFLICT ({keys}) DO UPDATE SET {sets} "
        "WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING (xmax = 0)"
    ).format(
        target=ident("admin", table),
        stage=ident(f"stage_{table}"),
        cols=sql.SQL(", ").join(map(ident, columns)),
        keys=sql.SQL(", ").join(map(ident, keys)),
        sets=sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(ident(c)) for c in values),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(ident(c)) for c in values),
        new=sql.SQL(", ").join(sql.SQL("excluded.{}").format(ident(c)) for c in values),
    )
    cur.execute(query)
    flags = [bool(r[0]) for r in cur.fetchall()]
    inserted = sum(flags)
    return TableCount(inserted, len(flags) - inserted, total - len(flags))


def _write(
    url: str | None, tables: dict[str, tuple[Sequence[str], Sequence[str], list[tuple]]]
) -> tuple[dict[str, TableCount], int]:
    """Write every table in one transaction; former communes are synced (stale rows deleted)."""
    counts: dict[str, TableCount] = {}
    try:
        with transaction(url) as conn, conn.cursor() as cur:
            for table, (columns, keys, rows) in tables.items():
                _copy(cur, table, columns, rows)
                counts[table] = _upsert(cur, table, columns, keys, len(rows))
            cur.execute(
                "DELETE FROM admin.former_communes f WHERE NOT EXISTS (SELECT 1 FROM "
                "stage_former_communes s WHERE s.code = f.code AND s.commune_code = f.commune_code)"
            )
            counts["former_communes"].deleted = cur.rowcount
            cur.execute(
                "SELECT count(*) FROM admin.communes c WHERE NOT EXISTS "
                "(SELECT 1 FROM stage_communes s WHERE s.code = c.code)"
            )
            row = cur.fetchone()
    except (psycopg.IntegrityError, psycopg.DataError) as exc:
        # The schema's checks caught what the readers did not; the transaction rolled back.
        raise ImportFileError(
            f"admin data rejected by the database, nothing changed: {exc}"
        ) from exc
    return counts, int(row[0]) if row else 0


def load_admin_units(url: str | None = None, data_dir: Path | None = None) -> LoadSummary:
    """Load (or refresh) provinces, communes, former provinces and former communes."""
    started = time.perf_counter()
    folder = data_dir or DATA_DIR
    problems: list[str] = []
    provinces = read_boundaries(folder / PROVINCES_FILE)
    communes = commune_frame(folder, problems)
    check_codes(provinces.ma_tinh, 2, "province")
    check_codes(communes.ma_xa, 5, "commune")
    unknown = sorted(set(communes.ma_tinh) - set(provinces.ma_tinh))
    if unknown:
        raise ImportFileError(f"communes name provinces missing from {PROVINCES_FILE}: {unknown}")
    former_p = former_province_rows(
        read_csv(folder / PROVINCE_MAPPING_FILE),
        read_csv(folder / MERIDIANS_FILE),
        set(provinces.ma_tinh),
    )
    ward_rows = read_csv(folder / WARD_MAPPING_FILE)
    former_c: list[FormerCommune] = parse_former_communes(
        ward_rows, {r[0] for r in former_p}, problems
    )
    current = {(r.ma_tinh, r.ten_day_du): r.ma_xa for r in communes.itertuples(index=False)}
    former_c = mark_divided(resolve_successors(former_c, current, problems), problems)
    meridian_srid = {r[0]: r[4] for r in former_p}
    tm3 = assign_tm3_srids(
        dict(zip(communes.ma_xa, communes.ma_tinh, strict=True)),
        [(f.commune_code, f.former_province_code) for f in former_c] + district_origins(ward_rows),
        meridian_srid,
        problems,
    )
    counts, stale = _write(
        url,
        {
            "provinces": (PROVINCE_COLUMNS, ("code",), province_rows(provinces)),
            "communes": (COMMUNE_COLUMNS, ("code",), commune_rows(communes, tm3)),
            "former_provinces": (FORMER_PROVINCE_COLUMNS, ("code",), former_p),
            "former_communes": (
                FORMER_COMMUNE_COLUMNS, ("code", "commune_code"), [c.row() for c in former_c],
            ),
        },
    )  # fmt: skip
    if stale:
        problems.append(
            f"{stale} communes in the database are not in the data; kept (map sheets may use them)"
        )
    return LoadSummary(**counts, problems=problems, seconds=time.perf_counter() - started)
