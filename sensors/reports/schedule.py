"""Scheduled reports: every province's air and water report of the last month (from the 1st)
and of the last quarter, and new revisions when late data changed a stored report's figures.

Run by the notifier (``iocgis notify run``) every few minutes; each report is its own
transaction, so a crash leaves whole reports or none.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import psycopg

from gis.errors import IocGisError
from sensors.reports.figures import VN, area_stations
from sensors.reports.period import ReportPeriod, parse
from sensors.reports.store import store

log = logging.getLogger(__name__)
#: Stored reports whose period ended less than this long ago are re-checked for late data.
REVISE_DAYS = 92
#: Even without a newer change time, re-check once a day (a deleted alert leaves none).
RECHECK = timedelta(days=1)

_AREAS = """
SELECT DISTINCT s.kind, c.province_code FROM sensor.stations s
JOIN admin.communes c ON c.code = s.commune_code WHERE s.kind IN ('air', 'water')
ORDER BY 1, 2
"""
_STORED = """
SELECT DISTINCT ON (kind, area, period) kind, area, period, generated_at
FROM reports.reports ORDER BY kind, area, period, revision DESC
"""
_CHANGED = """
SELECT greatest(
    (SELECT max(computed_at) FROM sensor.aqi_daily WHERE station_id = ANY(%(ids)s)
        AND day >= %(first)s AND day < %(end)s),
    (SELECT max(computed_at) FROM sensor.wqi_daily WHERE station_id = ANY(%(ids)s)
        AND day >= %(first)s AND day < %(end)s),
    (SELECT max(updated_at) FROM sensor.completeness_daily WHERE station_id = ANY(%(ids)s)
        AND day >= %(first)s AND day < %(end)s),
    (SELECT max(updated_at) FROM sensor.alerts WHERE station_id = ANY(%(ids)s)
        AND start_time >= %(first)s::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
        AND start_time < %(end)s::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'))
"""


def due_periods(today: date) -> list[ReportPeriod]:
    """The last complete month and the last complete quarter before ``today``."""
    month = parse(f"{today.year}-{today.month:02d}").previous()
    q = (today.month - 1) // 3 + 1
    quarter = parse(f"{today.year}-Q{q}").previous()
    return [month, quarter]


def _changed(
    conn: psycopg.Connection,
    kind: str,
    area: str,
    p: ReportPeriod,
    generated: datetime,
    now: datetime,
) -> bool:
    """Whether the figures may have changed since ``generated``."""
    if now - generated >= RECHECK:
        return True
    ids = [i for i, _c, _n in area_stations(conn, kind, area)]
    row = conn.execute(_CHANGED, {"ids": ids, "first": p.first, "end": p.end}).fetchone()
    return bool(row and row[0] and row[0] > generated)


def _store(conn: psycopg.Connection, kind: str, area: str, p: ReportPeriod) -> int | None:
    """One report in its own transaction; a domain error (no station left) is logged, not
    fatal to the other reports."""
    try:
        with conn.transaction():
            return store(conn, kind, area, p)
    except IocGisError as exc:
        log.warning("report %s %s %s not made: %s", kind, area, p.label, exc)
        return None


def run_schedule(conn: psycopg.Connection, now: datetime | None = None) -> list[int]:
    """Store the due reports and the revisions late data calls for; return the new ids."""
    now = now or datetime.now(VN)
    today = now.astimezone(VN).date()
    made: list[int] = []
    with conn.transaction():
        areas = conn.execute(_AREAS).fetchall()
        stored = {(k, a, p): g for k, a, p, g in conn.execute(_STORED).fetchall()}
    for kind, area in areas:
        for p in due_periods(today):
            if (kind, area, p.label) not in stored:
                new = _store(conn, kind, area, p)
                if new is not None:
                    made.append(new)
                    log.info("report %s %s %s stored (id %d)", kind, area, p.label, new)
    for (kind, area, label), generated in stored.items():
        p = parse(label)
        if (today - p.end).days > REVISE_DAYS:
            continue
        with conn.transaction():
            changed = _changed(conn, kind, area, p, generated, now)
        new = _store(conn, kind, area, p) if changed else None
        if new is not None:
            made.append(new)
            log.info("report %s %s %s revised (id %d)", kind, area, label, new)
    return made
