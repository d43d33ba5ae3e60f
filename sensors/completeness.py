"""Data completeness per station and local day: readings received / readings expected.

``received`` counts every stored reading of the station's datastreams in the day (any quality
flag: a calibration reading was transmitted), ``expected`` is the sum of their promised
readings per hour × 24. The rollup job refreshes the days its touched pairs fall in
(:func:`refresh`); :func:`completeness` serves a window, a day without any reading counting
0 of its expected, today only up to the current hour. Neither Circular 10/2021 nor 24/2017
gives a completeness formula (none was found): this one is ours, and the ratio is capped at 1
(a station sending more often than it promised is complete, not "over 100 %").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from gis.errors import InvalidInput, NotFound
from sensors.contract.reads import Read
from sensors.indices.store import local_day

#: Longest window served at once (days).
MAX_DAYS = 366

_REFRESH = """
INSERT INTO sensor.completeness_daily AS c (station_id, day, received, expected)
SELECT sd.station_id, sd.day,
       (SELECT count(*) FROM sensor.datastreams d JOIN sensor.observations o
            ON o.datastream_id = d.id
           AND o.phenomenon_time >= sd.day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
           AND o.phenomenon_time < (sd.day + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
        WHERE d.station_id = sd.station_id),
       (SELECT coalesce(sum(d.expected_per_hour), 0) * 24 FROM sensor.datastreams d
        WHERE d.station_id = sd.station_id)
FROM (SELECT DISTINCT d.station_id, td.day FROM touched_days td
      JOIN sensor.datastreams d ON d.id = td.datastream_id) sd
ON CONFLICT (station_id, day) DO UPDATE SET received = EXCLUDED.received,
    expected = EXCLUDED.expected, updated_at = now()
"""

# Days of the window from the station's first local day (its registration or its first
# reading) on; a day with no row received 0.
# Today's expectation counts the hours begun so far.
_WINDOW = sql.SQL("""
WITH st AS (
    SELECT s.id, s.code,
           -- backfilled days before the station was registered count too
           least((s.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                 (SELECT min(c.day) FROM sensor.completeness_daily c
                  WHERE c.station_id = s.id)) AS first_day,
           (SELECT coalesce(sum(d.expected_per_hour), 0) FROM sensor.datastreams d
            WHERE d.station_id = s.id) AS per_hour,
           (now() AT TIME ZONE 'Asia/Ho_Chi_Minh') AS local_now
    FROM sensor.stations s WHERE s.code = %(code)s
)
SELECT st.code, g.day::date, coalesce(c.received, 0),
       CASE WHEN g.day::date = st.local_now::date
            THEN st.per_hour * (extract(hour FROM st.local_now)::int + 1)
            WHEN c.expected IS NOT NULL THEN c.expected
            ELSE st.per_hour * 24 END
FROM st
LEFT JOIN LATERAL generate_series(greatest(%(start)s::date, st.first_day),
                                  least(%(end)s::date, st.local_now::date),
                                  interval '1 day') AS g(day) ON true
LEFT JOIN sensor.completeness_daily c ON c.station_id = st.id AND c.day = g.day::date
ORDER BY g.day
""")


def refresh(conn: psycopg.Connection) -> int:
    """Recount the (station, day) pairs of the rollup's ``touched_days``; return how many."""
    return conn.execute(_REFRESH).rowcount


def ratio(received: int, expected: int) -> float | None:
    """Received over expected, capped at 1 (None when nothing is expected)."""
    return None if expected <= 0 else min(1.0, received / expected)


def _shape(code: str) -> Any:
    def shape(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        if not rows:
            raise NotFound(f"no such station: {code}")
        days = [
            {"day": d.isoformat(), "received": r, "expected": e, "ratio": ratio(r, e)}
            for _code, d, r, e in rows
            if d is not None
        ]
        received = sum(x["received"] for x in days)
        expected = sum(x["expected"] for x in days)
        return {
            "station": code,
            "days": days,
            "received": received,
            "expected": expected,
            "ratio": ratio(received, expected),
        }

    return shape


def completeness(
    code: str, start: date | None = None, end: date | None = None
) -> Read[dict[str, Any]]:
    """Completeness of station ``code`` per local day from ``start`` to ``end`` (inclusive;
    default: the 7 local days up to today)."""
    end = end or local_day(datetime.now(UTC))
    # (max: the first days of year 1 have no 6 days before them)
    start = start or max(date.min, end - timedelta(days=min(6, (end - date.min).days)))
    if end < start:
        raise InvalidInput("'to' is before 'from'")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the window spans more than {MAX_DAYS} days")
    return Read(_WINDOW, {"code": code, "start": start, "end": end}, _shape(code))
