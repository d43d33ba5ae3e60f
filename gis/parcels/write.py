"""Writing checked parcels: map sheets, versioning by content hash, COPY, users, rejects.

All of an import runs inside the caller's single transaction. Parcel rows and purposes go in
with COPY straight into their tables (ids drawn from the sequence first), so geometries cross
the wire once; versioning is decided set-wise per batch against the current versions.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from psycopg import sql
from psycopg.types.json import Jsonb

from gis.parcels.code import code_clashes
from gis.parcels.prepare import Prepared
from gis.tables import ident
from gis.tables.land import parcels

#: Commune boundaries are simplified (about 110 m, Douglas-Peucker at 0.001°): a parcel's point
#: on the surface may fall this far outside the stored boundary and still be accepted.
COMMUNE_MARGIN_M = 150.0

PARCEL_COLUMNS = (
    "id", "commune_code", "sheet_id", "sheet_number", "parcel_number", "old_sheet_number",
    "old_parcel_number", "address", "certificate_number", "legal_area_m2", "srid",
    "geom_native", "geom", "content_hash", "import_id", "parcel_code",
)
#: COPY of the parcel rows, columns in :data:`PARCEL_COLUMNS` order (names from the declaration).
_PARCELS_COPY = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
    ident(parcels), sql.SQL(", ").join(sql.Identifier(parcels.c[c].name) for c in PARCEL_COLUMNS)
)
_CSV = pacsv.WriteOptions(include_header=False)

#: The parcel ids of a batch are new (drawn from the sequence), so a link can only repeat inside
#: the batch (one user listed twice on a parcel): DISTINCT, not ON CONFLICT, which costs a
#: speculative insertion per row.
_USERS_SQL = (
    # Users with an ID number: one row per ID (the first name/address seen is kept).
    """
    WITH wanted AS (
        SELECT DISTINCT ON (id_number) full_name, id_number, address FROM parcel_users_stage
        WHERE id_number IS NOT NULL ORDER BY id_number, parcel_id
    ), added AS (
        INSERT INTO land.land_users (full_name, id_number, address) SELECT * FROM wanted
        ON CONFLICT (id_number) DO NOTHING RETURNING id, id_number
    ), ids AS (
        SELECT id, id_number FROM added
        UNION ALL  -- users already known (the insert's own rows are not visible here)
        SELECT u.id, u.id_number FROM land.land_users u
        WHERE u.id_number = ANY (ARRAY(
            SELECT w.id_number FROM wanted w LEFT JOIN added a USING (id_number)
            WHERE a.id IS NULL))
    )
    INSERT INTO land.parcel_land_users (parcel_id, land_user_id)
    SELECT DISTINCT s.parcel_id, ids.id FROM parcel_users_stage s JOIN ids USING (id_number)
    """,
    # Users without an ID number: matched on name and address.
    """
    INSERT INTO land.land_users (full_name, address)
    SELECT DISTINCT s.full_name, s.address FROM parcel_users_stage s
    WHERE s.id_number IS NULL AND NOT EXISTS (
        SELECT 1 FROM land.land_users u WHERE u.id_number IS NULL
        AND u.full_name = s.full_name AND u.address IS NOT DISTINCT FROM s.address)
    """,
    """
    INSERT INTO land.parcel_land_users (parcel_id, land_user_id)
    SELECT DISTINCT s.parcel_id, u.id FROM parcel_users_stage s
    JOIN land.land_users u ON u.id_number IS NULL AND s.id_number IS NULL
        AND u.full_name = s.full_name AND u.address IS NOT DISTINCT FROM s.address
    """,
)


def _copy(conn: psycopg.Connection, statement: str | sql.Composed, table: pa.Table) -> None:
    """Send an Arrow table to ``COPY … FROM STDIN (FORMAT csv)`` in one buffer."""
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, write_options=_CSV)
    with conn.cursor().copy(statement) as copy:
        copy.write(buf.getbuffer())


class Writer:
    """Writes batches of prepared parcels for one import (or one edit) on one connection."""

    def __init__(self, conn: psycopg.Connection, srid: int, import_id: int | None) -> None:
        self.conn = conn
        self.srid = srid
        self.import_id = import_id
        self._shapes: dict[str, Any] = {}
        self._sheets: dict[str, dict[int, tuple[int, int]]] = {}

    def commune_shape(self, code: str) -> tuple[Any, float] | None:
        """The commune in the sheet CRS (prepared) and the margin allowed; None if unknown."""
        if code not in self._shapes:
            row = self.conn.execute(
                "SELECT ST_AsBinary(ST_Transform(geom, %s)) FROM admin.communes WHERE code = %s",
                (self.srid, code),
            ).fetchone()
            shape = shapely.from_wkb(row[0]) if row else None
            if shape is not None:
                shapely.prepare(shape)
            self._shapes[code] = None if shape is None else (shape, COMMUNE_MARGIN_M)
        return self._shapes[code]

    def preload(self, codes: Iterable[str]) -> None:
        """Read the shapes and registered sheets of many communes in two queries, not 2 each."""
        todo = sorted({str(c) for c in codes} - set(self._shapes))
        if not todo:
            return
        found: dict[str, Any] = dict(self.conn.execute(
            "SELECT code::text, ST_AsBinary(ST_Transform(geom, %s)) FROM admin.communes"
            " WHERE code = ANY(%s::char(5)[])",
            (self.srid, todo),
        ).fetchall())
        for code in todo:
            shape = shapely.from_wkb(found[code]) if found.get(code) is not None else None
            if shape is not None:
                shapely.prepare(shape)
            self._shapes[code] = None if shape is None else (shape, COMMUNE_MARGIN_M)
        self.preload_sheets([c for c in todo if self._shapes[c] is not None])

    def preload_sheets(self, codes: Iterable[str]) -> None:
        """Read the registered sheets of many communes in one query."""
        known = sorted({str(c) for c in codes} - set(self._sheets))
        if not known:
            return
        rows = self.conn.execute(
            "SELECT commune_code::text, sheet_number, id, srid FROM land.map_sheets"
            " WHERE commune_code = ANY(%s::char(5)[])",
            (known,),
        ).fetchall()
        for code in known:
            self._sheets[code] = {}
        for c, sheet, sid, srid in rows:
            self._sheets[str(c)][int(sheet)] = (int(sid), int(srid))

    def _sheet_table(self, commune: str) -> dict[int, tuple[int, int]]:
        """Registered sheets of a commune: number → (id, srid), read once per commune."""
        if commune not in self._sheets:
            rows = self.conn.execute(
                "SELECT sheet_number, id, srid FROM land.map_sheets WHERE commune_code = %s",
                (commune,),
            ).fetchall()
            self._sheets[commune] = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
        return self._sheets[commune]

    def sheet_srid(self, commune: str, sheet: int) -> int | None:
        """The CRS a sheet is registered in, or None for a sheet not yet registered."""
        found = self._sheet_table(commune).get(sheet)
        return found[1] if found else None

    def _sheet_ids(self, communes: np.ndarray, sheets: np.ndarray) -> np.ndarray:
        """Sheet ids for each row, creating the map sheets met for the first time."""
        pairs = pd.DataFrame({"c": communes, "s": sheets}).drop_duplicates()
        missing = [(c, int(s)) for c, s in pairs.itertuples(index=False)
                   if int(s) not in self._sheet_table(c)]
        if missing:
            rows = self.conn.execute(
                "INSERT INTO land.map_sheets (commune_code, sheet_number, srid)"
                " SELECT c, s, %s FROM unnest(%s::text[], %s::int[]) AS t(c, s)"
                " RETURNING commune_code, sheet_number, id, srid",
                (self.srid, [m[0] for m in missing], [m[1] for m in missing]),
            ).fetchall()
            for c, s, sid, srid in rows:
                self._sheets[str(c)][int(s)] = (int(sid), int(srid))
        return np.array([self._sheets[c][int(s)][0] for c, s in zip(communes, sheets, strict=True)],
                        dtype=np.int64)

    def write(self, p: Prepared) -> tuple[int, int, int]:
        """Write one prepared batch; return (added, new versions, unchanged)."""
        if len(p.pos) == 0:
            return 0, 0, 0
        sheet_ids = self._sheet_ids(p.commune_code, p.sheet_number)
        current = pd.DataFrame(
            self.conn.execute(
                "SELECT sheet_id, parcel_number, id, content_hash FROM land.parcels"
                " WHERE valid_to IS NULL AND sheet_id = ANY(%s)",
                (sorted(set(sheet_ids.tolist())),),
            ).fetchall(),
            columns=["sheet_id", "parcel_number", "old_id", "old_hash"],
        )
        rows = pd.DataFrame({"sheet_id": sheet_ids, "parcel_number": p.parcel_number,
                             "hash": p.content_hash}).reset_index()
        if len(current):
            rows = rows.merge(current.astype({"sheet_id": "int64", "parcel_number": "int64"}),
                              how="left", on=["sheet_id", "parcel_number"])
        else:
            rows["old_id"], rows["old_hash"] = None, None
        rows = rows.sort_values("index")
        unchanged = (rows["old_hash"] == rows["hash"]).to_numpy()
        changed = rows["old_id"].notna().to_numpy() & ~unchanged
        todo = np.flatnonzero(~unchanged)
        todo = self._drop_code_clashes(p, todo, rows["old_id"].to_numpy()[changed], changed)
        if changed.any():
            self.conn.execute(
                "UPDATE land.parcels SET valid_to = now() WHERE id = ANY(%s)",
                (rows["old_id"].to_numpy()[changed].astype("int64").tolist(),),
            )
        self._insert(p, todo, sheet_ids[todo])
        return int(len(todo) - changed.sum()), int(changed.sum()), int(unchanged.sum())

    def _drop_code_clashes(self, p: Prepared, todo: np.ndarray, closing: np.ndarray,
                           changed: np.ndarray) -> np.ndarray:
        """Reject the rows whose parcel code is already used (both parcels named); keep the rest.

        A rejected changed row keeps its current version (``changed`` is cleared in place).
        """
        labels = [f"{c}/{s}/{n}" for c, s, n in zip(
            p.commune_code[todo], p.sheet_number[todo], p.parcel_number[todo], strict=True)]
        clashes = code_clashes(self.conn, list(p.parcel_code[todo]), labels,
                               closing.astype("int64").tolist())
        if not clashes:
            return todo
        dropped = todo[sorted(clashes)]
        p.rejects.extend((int(p.pos[j]), clashes[i]) for i, j in zip(
            sorted(clashes), dropped, strict=True))
        changed[dropped] = False
        return np.setdiff1d(todo, dropped)

    def _insert(self, p: Prepared, todo: np.ndarray, sheet_ids: np.ndarray) -> None:
        """COPY the rows ``todo`` of a batch, with their purposes and land users."""
        if len(todo) == 0:
            return
        ids = np.array(
            [r[0] for r in self.conn.execute(
                "SELECT nextval('land.parcels_id_seq') FROM generate_series(1, %s)", (len(todo),)
            ).fetchall()],
            dtype=np.int64,
        )
        table = pa.table({
            "id": ids,
            "commune_code": pa.array(p.commune_code[todo], pa.string()),
            "sheet_id": sheet_ids,
            "sheet_number": p.sheet_number[todo],
            "parcel_number": p.parcel_number[todo],
            **{k: pa.array(p.text[k][todo], pa.string()) for k in PARCEL_COLUMNS[5:9]},
            "legal_area_m2": p.legal_area[todo],
            "srid": np.full(len(todo), self.srid, dtype=np.int64),
            "geom_native": pa.array(p.native_hex[todo], pa.string()),
            "geom": pa.array(p.wgs84_hex[todo], pa.string()),
            "content_hash": pa.array(p.content_hash[todo], pa.string()),
            "import_id": pa.array([self.import_id] * len(todo), pa.int64()),
            "parcel_code": pa.array(p.parcel_code[todo], pa.string()),
        })
        _copy(self.conn, _PARCELS_COPY, table)
        self._insert_purposes(p, todo, ids)
        self._insert_users(p, todo, ids)

    def _insert_purposes(self, p: Prepared, todo: np.ndarray, ids: np.ndarray) -> None:
        """COPY the land-use purposes of the new versions (term and origin on each purpose)."""
        id_of = np.zeros(len(p.pos), dtype=np.int64)
        id_of[todo] = ids
        sel = id_of[p.p_row] > 0
        rows = p.p_row[sel]
        table = pa.table({
            "parcel_id": id_of[rows],
            "land_use_code": pa.array(p.p_code[sel], pa.string()),
            "area_m2": p.p_area[sel],
            "term": pa.array(p.text["term"][rows], pa.string()),
            "origin": pa.array(p.text["origin"][rows], pa.string()),
        })
        _copy(self.conn, "COPY land.parcel_purposes (parcel_id, land_use_code, area_m2, term,"
              " origin) FROM STDIN (FORMAT csv)", table)

    def _insert_users(self, p: Prepared, todo: np.ndarray, ids: np.ndarray) -> None:
        """Link the land users of the new versions, reusing known users (by ID number)."""
        id_of = np.zeros(len(p.pos), dtype=np.int64)
        id_of[todo] = ids
        sel = id_of[p.u_row] > 0
        if not sel.any():
            return
        self.conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS parcel_users_stage (parcel_id bigint,"
            " full_name text, id_number text, address text) ON COMMIT DROP"
        )
        self.conn.execute("TRUNCATE parcel_users_stage")
        table = pa.table({
            "parcel_id": id_of[p.u_row[sel]],
            "full_name": pa.array(p.u_name[sel], pa.string()),
            "id_number": pa.array(p.u_id[sel], pa.string()),
            "address": pa.array(p.u_address[sel], pa.string()),
        })
        _copy(self.conn, "COPY parcel_users_stage FROM STDIN (FORMAT csv)", table)
        for statement in _USERS_SQL:
            self.conn.execute(statement)

    def write_rejects(self, rows: Iterable[tuple[int | None, str, dict[str, Any]]]) -> None:
        """Store rejected features with their reason and the raw feature."""
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO land.import_rejects (import_id, feature_index, reason, raw)"
                " VALUES (%s, %s, %s, %s)",
                [(self.import_id, i, reason, Jsonb(raw)) for i, reason, raw in rows],
            )
