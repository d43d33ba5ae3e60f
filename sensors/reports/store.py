"""Build a report (figures → PDF + XLSX), store it, list and fetch stored ones.

A stored report keeps the fingerprint of its figures: when late data changes them, the next
build of the same (kind, area, period) is stored as a new revision, marked revised.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from gis.errors import InvalidInput, NotFound
from sensors.reports.figures import compute
from sensors.reports.pdf import render_pdf
from sensors.reports.period import ReportPeriod
from sensors.reports.xlsx import render_xlsx

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_LIST = """
SELECT id, kind, area, period, revision, revision > 1 AS revised, generated_at
FROM reports.reports
WHERE (%(kind)s::text IS NULL OR kind = %(kind)s) AND (%(area)s::text IS NULL OR area = %(area)s)
ORDER BY generated_at DESC, id DESC LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Built:
    """A built report: its figures (with ``revision``), fingerprint, PDF and XLSX."""

    figures: dict[str, Any]
    fingerprint: str
    pdf: bytes
    xlsx: bytes


def fingerprint(figures: dict[str, Any]) -> str:
    """SHA-256 of the figures (canonical JSON): equal figures, equal fingerprint."""
    text = json.dumps(figures, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build(
    conn: psycopg.Connection, kind: str, area: str, period: ReportPeriod, revision: int = 1
) -> Built:
    """Compute the figures and render both files."""
    figures = compute(conn, kind, area, period)
    fp = fingerprint(figures)
    figures["revision"] = revision
    now = datetime.now(UTC)
    return Built(figures, fp, render_pdf(figures, now), render_xlsx(figures, now))


def latest(conn: psycopg.Connection, kind: str, area: str, label: str) -> tuple[int, str] | None:
    """(revision, fingerprint) of the newest stored report of (kind, area, period)."""
    row = conn.execute(
        "SELECT revision, fingerprint FROM reports.reports WHERE kind = %s AND area = %s"
        " AND period = %s ORDER BY revision DESC LIMIT 1",
        [kind, area, label],
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def store(conn: psycopg.Connection, kind: str, area: str, period: ReportPeriod) -> int | None:
    """Build and store the report unless the newest stored one has the same figures.

    Returns the new report's id (revision 1, or the next one when late data changed the
    figures), or None when nothing changed.
    """
    before = latest(conn, kind, area, period.label)
    revision = 1 if before is None else before[0] + 1
    built = build(conn, kind, area, period, revision)
    if before is not None and before[1] == built.fingerprint:
        return None
    summary = {k: v for k, v in built.figures.items() if k != "stations"}
    summary["stations"] = [s["code"] for s in built.figures["stations"]]
    row = conn.execute(
        "INSERT INTO reports.reports (kind, area, period, revision, fingerprint, summary, pdf,"
        " xlsx) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [
            kind,
            area,
            period.label,
            revision,
            built.fingerprint,
            Jsonb(summary),
            built.pdf,
            built.xlsx,
        ],
    ).fetchone()
    assert row is not None
    return int(row[0])


async def list_reports(
    conn: psycopg.AsyncConnection,
    kind: str | None = None,
    area: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Stored reports, newest first (no file bytes)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_LIST, {"kind": kind, "area": area, "limit": limit})
    return list(await cur.fetchall())


async def report_file(conn: psycopg.AsyncConnection, report_id: int, fmt: str) -> tuple[bytes, str]:
    """(bytes, file name) of a stored report in ``fmt`` (pdf or xlsx)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")
    cur = await conn.execute(
        "SELECT kind, area, period, revision, pdf, xlsx FROM reports.reports WHERE id = %s",
        [report_id],
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no report {report_id}")
    kind, area, period, revision, pdf, xlsx = row
    name = f"iocgis-{kind}-{area}-{period}-r{revision}.{fmt}"
    return (bytes(pdf) if fmt == "pdf" else bytes(xlsx)), name
