"""Split a parcel, merge parcels (tách thửa, hợp thửa; Land Law 2024 Art. 220): one transaction.

The retired versions are closed (history is never rewritten), the new parcels go through the
importer's checks and writer (legal area in the sheet's TM-3 zone, parcel code, purposes, land
users), take the next numbers of the sheet, and are linked to their parents in the lineage. The
change triggers of land.parcels NOTIFY the layers-changed channel, so tiles redraw at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import shapely
from shapely.ops import split as split_along

from gis.access.roles import Role, set_role
from gis.db import connect
from gis.errors import NotFound, Refused
from gis.landuse import code_lookup
from gis.parcels.history import _purpose_text, _users_fields
from gis.parcels.lineage import record_operation
from gis.parcels.model import CONTRACT_FIELDS, Parcel, Purpose
from gis.parcels.prepare import Context, prepare_batch
from gis.parcels.queries import get_parcel
from gis.parcels.split_rules import (
    check_adjacent,
    check_cover,
    check_minimum,
    minimum_for,
    polygon_of,
)
from gis.parcels.write import Writer


@dataclass(frozen=True)
class Piece:
    """One new parcel of a split: its polygon in the sheet CRS and, optionally, its purposes.

    ``land_use`` is the file form (``CODE`` or ``CODE:AREA;…``), required when the parcel has
    several purposes; ``merge_with`` names an adjacent parcel of the sheet the piece joins in
    the same operation (Art. 220(2)(a), for a piece below the minimum).
    """

    geometry: shapely.Geometry
    land_use: str | None = None
    merge_with: int | None = None


@dataclass(frozen=True)
class Actor:
    """Who asks for the operation (recorded with it) and the database role it runs as."""

    subject: str
    role: str = "land"
    db_role: Role | None = None


@dataclass
class _Source:
    """A current parcel version taking part, locked for the transaction."""

    card: Parcel
    geom: shapely.Polygon


@dataclass
class _New:
    """A parcel to create: geometry, parents, purposes (file form), term and origin."""

    geom: shapely.Polygon
    parents: list[_Source]
    land_use: str
    term: str | None
    origin: str | None


def _lock_sheet(conn: psycopg.Connection, commune: str, sheet: int) -> None:
    """One operation at a time per sheet: the next numbers are read, then used."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('iocgis.sheet'), hashtext(%s))",
                 (f"{commune}/{int(sheet)}",))


def _source(conn: psycopg.Connection, commune: str, sheet: int, number: int) -> _Source:
    """The current version of a parcel, locked, with its users and its outline."""
    row = conn.execute(
        "SELECT ST_AsBinary(geom_native) FROM land.parcels WHERE commune_code = %s"
        " AND sheet_number = %s AND parcel_number = %s AND valid_to IS NULL FOR UPDATE",
        (commune, int(sheet), int(number)),
    ).fetchone()
    if row is None:
        raise NotFound(f"nothing here: no parcel {commune} sheet {sheet} number {number}")
    card = get_parcel(commune, sheet, number, with_users=True, conn=conn)[0]
    return _Source(card, polygon_of(shapely.from_wkb(bytes(row[0])), f"parcel {number}"))


def _term_origin(
    sources: Sequence[_Source], codes: Sequence[str]
) -> tuple[str | None, str | None]:
    """The one term and origin of the purposes ``codes`` in the parents; refused if they differ."""
    found = {(p.term, p.origin) for s in sources for p in s.card.purposes if p.code in codes}
    if len(found) > 1:
        raise Refused("the purposes joined have different terms or origins: register that"
                      " change first (a parcel version holds one term and origin)")
    return next(iter(found)) if found else (None, None)


def _merged_purposes(sources: Sequence[_Source], extra: Sequence[Purpose],
                     legal_area: float) -> str:
    """Purposes of a merged parcel: areas summed per code, the largest taking the rounding."""
    areas: dict[str, float] = {}
    for p in [q for s in sources for q in s.card.purposes] + list(extra):
        areas[p.code] = areas.get(p.code, 0.0) + p.area_m2
    ordered = sorted(areas.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ordered) == 1:
        return ordered[0][0]
    rest = sum(a for _, a in ordered[1:])
    ordered[0] = (ordered[0][0], round(legal_area - rest, 1))
    return _purpose_text([(c, round(a, 1)) for c, a in ordered])


def cut(parcel: shapely.Polygon, line: shapely.Geometry | None) -> list[shapely.Polygon]:
    """The pieces of a parcel cut along a line (or lines) crossing it from side to side."""
    if line is None or line.is_empty or line.geom_type not in ("LineString", "MultiLineString"):
        raise Refused("the cutting line must be a LineString or MultiLineString")
    pieces = [g for g in split_along(parcel, line).geoms if isinstance(g, shapely.Polygon)]
    if len(pieces) < 2:
        raise Refused("the cutting line does not cross the parcel from side to side")
    return pieces


def _next_numbers(conn: psycopg.Connection, commune: str, sheet: int, count: int) -> list[int]:
    """Numbers after the highest ever used on the sheet (retired ones are never reused)."""
    row = conn.execute(
        "SELECT coalesce(max(parcel_number), 0) FROM land.parcels"
        " WHERE commune_code = %s AND sheet_number = %s",
        (commune, int(sheet)),
    ).fetchone()
    top = int(row[0]) if row else 0
    return list(range(top + 1, top + 1 + count))


def _write(conn: psycopg.Connection, commune: str, sheet: int, srid: int,
           news: Sequence[_New]) -> list[tuple[int, _New]]:
    """Check every new parcel against the province's minimum, then close the parents and write
    the new parcels with the importer's checks; return (number, new) pairs."""
    lookup = code_lookup(conn)
    for k, new in enumerate(news, 1):
        main = new.land_use.split(";")[0].split(":")[0].strip().upper()
        rule = minimum_for(conn, commune, lookup.get(main, main))
        check_minimum(str(k), new.geom, round(new.geom.area, 1), rule)
    numbers = _next_numbers(conn, commune, sheet, len(news))
    retired = sorted({s.card.id for n in news for s in n.parents})
    conn.execute("UPDATE land.parcels SET valid_to = now() WHERE id = ANY(%s)", (retired,))
    rows: dict[str, list[Any]] = {k: [] for k in CONTRACT_FIELDS}
    for number, new in zip(numbers, news, strict=True):
        users = {(u.full_name, u.id_number, u.address): u for s in new.parents
                 for u in s.card.users or ()}
        names, ids, addrs = _users_fields(list(users.values()))
        values: dict[str, Any] = {
            "commune_code": commune, "sheet_number": int(sheet), "parcel_number": number,
            "land_use": new.land_use, "address": new.parents[0].card.address,
            "old_sheet_number": str(int(sheet)),
            "old_parcel_number": ",".join(str(s.card.parcel_number) for s in new.parents),
            "term": new.term, "origin": new.origin,
            "user_name": names, "user_id_number": ids, "user_address": addrs,
        }  # fmt: skip
        for field in CONTRACT_FIELDS:
            rows[field].append(values.get(field))
    writer = Writer(conn, srid, None)
    ctx = Context(srid, commune, lookup, None, np.array([], dtype=np.int64),
                  writer.commune_shape, writer.sheet_srid)
    wkb = np.array([shapely.to_wkb(n.geom) for n in news], dtype=object)
    prepared = prepare_batch({k: pa.array(v) for k, v in rows.items()}, wkb, 0, ctx)
    if not prepared.rejects:
        added, _, _ = writer.write(prepared)
        assert prepared.rejects or added == len(news)
    if prepared.rejects:
        pos, why = prepared.rejects[0]
        raise Refused(f"new parcel {numbers[pos]} refused: {why}")
    return list(zip(numbers, news, strict=True))


def _finish(conn: psycopg.Connection, kind: str, commune: str, sheet: int, actor: Actor,
            made: list[tuple[int, _New]]) -> tuple[int, list[Parcel]]:
    """Record the operation and its lineage; return it with the new parcels."""
    cards = [get_parcel(commune, sheet, number, conn=conn)[0] for number, _ in made]
    links = [(s.card.id, card.id) for (_, new), card in zip(made, cards, strict=True)
             for s in new.parents]
    op_id = record_operation(conn, kind, commune, sheet, actor.subject, actor.role, links)
    return op_id, cards


def connect_as(role: Role | None, url: str | None = None) -> psycopg.Connection:
    """A connection running as ``role``'s database role (None: as the login itself)."""
    conn = connect(url)
    if role is not None:
        set_role(conn, role)
        # SET ROLE opened a transaction: commit it, so that the role holds for the session and
        # the caller's ``transaction()`` is a real transaction, not a savepoint in this one.
        conn.commit()
    return conn


def split_parcel(
    commune: str, sheet: int, number: int, pieces: Sequence[Piece] | None, actor: Actor, *,
    line: shapely.Geometry | None = None, url: str | None = None,
) -> tuple[int, list[Parcel]]:  # fmt: skip
    """Split a parcel into ``pieces``, or along ``line`` (both in the sheet CRS); return the
    operation id and the new parcels."""
    if (pieces is None) == (line is None):
        raise Refused("give the new parcels' geometries or a cutting line, not both")
    conn = connect_as(actor.db_role, url)
    try:
        with conn.transaction():
            _lock_sheet(conn, commune, sheet)
            parent = _source(conn, commune, sheet, number)
            if pieces is None:
                pieces = [Piece(g) for g in cut(parent.geom, line)]
            joining = [p.merge_with for p in pieces if p.merge_with is not None]
            if len(set(joining)) != len(joining):
                raise Refused("two new parcels merge with the same neighbour")
            polys = [polygon_of(p.geometry, f"new parcel {k}") for k, p in enumerate(pieces, 1)]
            check_cover(parent.geom, polys)
            codes = [p.code for p in parent.card.purposes]
            news = []
            for k, (piece, poly) in enumerate(zip(pieces, polys, strict=True), 1):
                if piece.land_use is None and len(codes) != 1:
                    raise Refused(f"the parcel has several purposes ({', '.join(codes)}):"
                                  f" give land_use for new parcel {k}")
                land_use = piece.land_use or codes[0]
                used = [t.split(":")[0].strip().upper() for t in land_use.split(";")]
                term, origin = _term_origin([parent], used)
                if piece.merge_with is None:
                    news.append(_New(poly, [parent], land_use, term, origin))
                    continue
                if piece.merge_with == number:
                    raise Refused(f"new parcel {k} cannot merge with the parcel being split")
                other = _source(conn, commune, sheet, piece.merge_with)
                joined = check_adjacent([(f"piece {k}", poly),
                                         (str(piece.merge_with), other.geom)])
                own = [Purpose(c, float(a) if a else round(poly.area, 1))
                       for c, _, a in (t.partition(":") for t in land_use.split(";"))]
                mixed = _merged_purposes([other], own, round(joined.area, 1))
                term, origin = _term_origin([parent, other],
                                            used + [p.code for p in other.card.purposes])
                news.append(_New(joined, [parent, other], mixed, term, origin))
            made = _write(conn, commune, sheet, parent.card.srid, news)
            return _finish(conn, "split", commune, sheet, actor, made)
    finally:
        conn.close()


def merge_parcels(commune: str, sheet: int, numbers: Sequence[int], actor: Actor,
                  *, url: str | None = None) -> tuple[int, list[Parcel]]:
    """Merge adjacent parcels of one sheet; return the operation id and the new parcel."""
    if len(set(numbers)) != len(numbers):
        raise Refused(f"a parcel is named twice: {', '.join(map(str, numbers))}")
    if len(numbers) < 2:
        raise Refused("a merge needs at least two parcels")
    conn = connect_as(actor.db_role, url)
    try:
        with conn.transaction():
            _lock_sheet(conn, commune, sheet)
            sources = [_source(conn, commune, sheet, n) for n in numbers]
            srids = {s.card.srid for s in sources}
            if len(srids) != 1:
                raise Refused(f"the parcels are stored in different CRSs ({sorted(srids)})")
            joined = check_adjacent([(str(n), s.geom) for n, s in zip(numbers, sources,
                                                                       strict=True)])
            land_use = _merged_purposes(sources, [], round(joined.area, 1))
            codes = [p.code for s in sources for p in s.card.purposes]
            term, origin = _term_origin(sources, codes)
            made = _write(conn, commune, sheet, srids.pop(),
                          [_New(joined, sources, land_use, term, origin)])
            return _finish(conn, "merge", commune, sheet, actor, made)
    finally:
        conn.close()
