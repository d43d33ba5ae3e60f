"""Lineage of parcels: which versions a split or merge retired and which it made from them.

Each operation is one row of ``land.parcel_operations`` (who, when, what: the audit of the
change); ``land.parcel_lineage`` links parents to children. Both are append-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from gis.errors import NotFound

_LINKS = """
SELECT l.parent_id, l.child_id, o.id, o.kind, o.at,
       concat_ws('/', a.commune_code, a.sheet_number, a.parcel_number), a.parcel_code,
       concat_ws('/', b.commune_code, b.sheet_number, b.parcel_number), b.parcel_code
FROM land.parcel_lineage l
JOIN land.parcel_operations o ON o.id = l.operation_id
JOIN land.parcels a ON a.id = l.parent_id
JOIN land.parcels b ON b.id = l.child_id
WHERE l.parent_id = ANY(%(ids)s) OR l.child_id = ANY(%(ids)s)
ORDER BY o.at, o.id, l.parent_id, l.child_id
"""

def record_operation(
    conn: psycopg.Connection, kind: str, commune: str, sheet: int, subject: str, role: str,
    links: Sequence[tuple[int, int]], note: str | None = None,
) -> int:  # fmt: skip
    """Store one operation and its (parent id, child id) links; return the operation id."""
    row = conn.execute(
        "INSERT INTO land.parcel_operations (kind, subject, role, commune_code, sheet_number,"
        " note) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (kind, subject, role, commune, int(sheet), note),
    ).fetchone()
    assert row is not None
    op_id = int(row[0])
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO land.parcel_lineage (operation_id, parent_id, child_id)"
            " VALUES (%s, %s, %s)",
            [(op_id, p, c) for p, c in links],
        )
    return op_id


def lineage(commune: str, sheet: int, number: int, conn: psycopg.Connection) -> dict[str, Any]:
    """Parents and children of every version of a parcel (by key), oldest operation first."""
    versions = conn.execute(
        "SELECT p.id, p.parcel_code, p.valid_from, p.valid_to FROM land.parcels p"
        " WHERE p.commune_code = %s AND p.sheet_number = %s AND p.parcel_number = %s"
        " ORDER BY p.valid_from, p.id",
        (commune, int(sheet), int(number)),
    ).fetchall()
    if not versions:
        raise NotFound(f"nothing here: no parcel {commune} sheet {sheet} number {number}")
    ids = [int(v[0]) for v in versions]
    parents: list[dict[str, Any]] = []
    children: list[dict[str, Any]] = []
    for pid, cid, op_id, kind, at, parent, pcode, child, ccode in conn.execute(
        _LINKS, {"ids": ids}
    ).fetchall():
        operation = {"operation_id": int(op_id), "kind": kind, "at": at.isoformat()}
        if cid in ids:
            parents.append({**operation, "version_id": int(cid), "parcel": parent,
                            "parcel_id": int(pid), "parcel_code": pcode})
        if pid in ids:
            children.append({**operation, "version_id": int(pid), "parcel": child,
                             "parcel_id": int(cid), "parcel_code": ccode})
    return {
        "parcel": f"{commune}/{int(sheet)}/{int(number)}",
        "versions": [
            {"id": int(i), "parcel_code": code, "valid_from": vf.isoformat(),
             "valid_to": None if vt is None else vt.isoformat()}
            for i, code, vf, vt in versions
        ],
        "parents": parents,
        "children": children,
    }
