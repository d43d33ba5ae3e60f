"""Interruptions of transmission ("gián đoạn truyền"): alerts like an exceedance.

TT 24/2017 Điều 58, kept by TT 10/2021, asks the receiving software for on-line warnings of
results above the QCVN limits and of interruptions of transmission. A station (ambient or a
facility's point) is interrupted while ``sensor.transmission_status`` says so: nothing received
for its expected interval plus the grace the view declares. Each silent spell is one row of
``sensor.alerts`` (period ``transmission``, no datastream): it starts when the next reading was
due and its end follows the silence at every sweep, so the alerts' NOTIFY channel, view and
layer carry it like an exceedance. The rollup job's periodic sweep calls :func:`refresh`.
"""

from __future__ import annotations

import psycopg

#: The text of an interruption alert's ``standard``.
STANDARD = "TT 10/2021/TT-BTNMT (gián đoạn truyền)"
PARAMETER = "transmission"

_SWEEP = """
INSERT INTO sensor.alerts (station_id, datastream_id, parameter, period, value, limit_value,
                           standard, start_time, end_time)
SELECT t.station_id, NULL, %(parameter)s, 'transmission',
       extract(epoch FROM now() - coalesce(t.last_received, t.due_at)) / 60.0,
       extract(epoch FROM t.expected_interval) / 60.0, %(standard)s, t.due_at, now()
FROM sensor.transmission_status t
WHERE t.interrupted AND (%(ids)s::int[] IS NULL OR t.station_id = ANY(%(ids)s::int[]))
ON CONFLICT (station_id, start_time) WHERE period = 'transmission'
DO UPDATE SET end_time = EXCLUDED.end_time, value = EXCLUDED.value, updated_at = now()
RETURNING station_id
"""


def refresh(conn: psycopg.Connection, station_ids: list[int] | None = None) -> list[int]:
    """Open or extend the interruption alert of every silent station; return their ids.

    Values are in minutes: ``value`` how long nothing has been received, ``limit_value`` the
    expected interval.
    """
    rows = conn.execute(
        _SWEEP, {"parameter": PARAMETER, "standard": STANDARD, "ids": station_ids}
    ).fetchall()
    return sorted(r[0] for r in rows)
