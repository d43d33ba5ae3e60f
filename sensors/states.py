"""Station states as Vietnamese monitoring portals show them.

working · trending (to exceed) · about_to_exceed · exceeding · offline · calibrating ·
device_fault (declared in :mod:`sensors.contract.states`), decided in that order of
precedence: offline, device fault, calibrating, exceeding, about to exceed, trending, working.
Thresholds are the ``state_*`` settings of :mod:`gis.settings` (environment ``IOC_STATE_*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import psycopg

from gis.settings import Settings, get_settings
from sensors.contract.states import (
    ABOUT_TO_EXCEED,
    CALIBRATING,
    DEVICE_FAULT,
    EXCEEDING,
    OFFLINE,
    TRENDING,
    WORKING,
)
from sensors.facilities import exceedances
from sensors.indices.limits import limit
from sensors.indices.store import local_day
from sensors.properties import POINT_KINDS


@dataclass(frozen=True)
class Signal:
    """What the state decision needs about one datastream."""

    kind: str
    param: str
    hours: list[datetime]  # latest hourly means, most recent first
    means: list[float]
    day: date | None
    day_mean: float | None
    #: A facility point's own hourly limit (its permit, or its regulation's C × coefficients):
    #: points are judged by it, not by the ambient QCVN 05/08 limits.
    own_limit: float | None = None


_FACTS = """
SELECT s.id,
       max(lo.phenomenon_time),
       bool_or(lo.quality ~* '^cal' AND lo.phenomenon_time > %(now)s - %(offline)s)
FROM sensor.stations s
LEFT JOIN sensor.datastreams d ON d.station_id = s.id
LEFT JOIN sensor.latest_observations lo ON lo.datastream_id = d.id
WHERE s.id = ANY(%(ids)s) GROUP BY s.id
"""
_FLAT = """
SELECT d.station_id, d.property_code FROM sensor.datastreams d
CROSS JOIN LATERAL (SELECT count(*) AS n, count(DISTINCT result) AS k FROM (
    SELECT result FROM sensor.observations o WHERE o.datastream_id = d.id
      AND o.phenomenon_time > %(now)s - interval '1 day' AND o.phenomenon_time <= %(now)s
    ORDER BY o.phenomenon_time DESC LIMIT %(run)s) last) f
WHERE d.station_id = ANY(%(ids)s) AND f.n >= %(run)s AND f.k = 1
"""
_OUT_OF_RANGE = """
SELECT s.id, count(*) FROM sensor.stations s
JOIN sensor.rejects r ON r.received_at > %(now)s - interval '1 hour'
     AND r.reason LIKE '%%outside%%'
     AND (r.topic LIKE 'stations/' || s.code || '/%%'
          OR r.topic IN (SELECT 'v1.1/Datastreams(' || d.id || ')/Observations'
                         FROM sensor.datastreams d WHERE d.station_id = s.id))
WHERE s.id = ANY(%(ids)s) GROUP BY s.id HAVING count(*) >= %(run)s
"""
_SIGNALS = """
SELECT d.station_id, s.kind, d.property_code, h.hours, h.means, x.day, x.mean
FROM sensor.datastreams d JOIN sensor.stations s ON s.id = d.station_id
CROSS JOIN LATERAL (SELECT array_agg(hour ORDER BY hour DESC) AS hours,
                           array_agg(mean ORDER BY hour DESC) AS means
                    FROM (SELECT hour, mean FROM sensor.hourly WHERE datastream_id = d.id
                          AND hour <= %(now)s ORDER BY hour DESC LIMIT %(n)s) l) h
LEFT JOIN LATERAL (SELECT day, mean FROM sensor.daily WHERE datastream_id = d.id
                   AND day <= %(today)s ORDER BY day DESC LIMIT 1) x ON true
WHERE d.station_id = ANY(%(ids)s)
"""


def judge(signals: list[Signal], cfg: Settings) -> tuple[str, str | None]:
    """Exceeding / about to exceed / trending / working from a station's latest values."""
    worst: tuple[int, str, str] = (0, WORKING, "")
    rank = {EXCEEDING: 3, ABOUT_TO_EXCEED: 2, TRENDING: 1}
    for sig in signals:
        checks: list[tuple[str, float | None, float | None]] = []
        if sig.means:
            on = local_day(sig.hours[0])
            hourly = (
                sig.own_limit if sig.kind in POINT_KINDS else limit(sig.kind, sig.param, "1h", on)
            )
            checks.append(("1h", sig.means[0], hourly))
        if sig.day is not None:
            checks.append(("24h", sig.day_mean, limit(sig.kind, sig.param, "24h", sig.day)))
        for period, value, lim in checks:
            if value is None or lim is None:
                continue
            state = None
            if value > lim:
                state = EXCEEDING
            elif value >= cfg.state_about_ratio * lim:
                state = ABOUT_TO_EXCEED
            elif _rising_to(sig, lim, cfg.state_trend_hours):
                state = TRENDING
            if state and rank[state] > worst[0]:
                why = f"{sig.param} {period} {value:.4g} vs limit {lim:g}"
                worst = (rank[state], state, why)
    if worst[0] == 0:
        return WORKING, None
    return worst[1], worst[2]


def _rising_to(sig: Signal, lim: float, hours: int) -> bool:
    """Hourly means rising for ``hours`` consecutive hours and projected past ``lim`` as soon."""
    if len(sig.means) < hours or hours < 2:
        return False
    recent = sig.means[:hours][::-1]
    times = sig.hours[:hours][::-1]
    if times[-1] - times[0] != timedelta(hours=hours - 1):
        return False
    if any(b <= a for a, b in pairwise(recent)):
        return False
    slope = (recent[-1] - recent[0]) / (hours - 1)
    return recent[-1] + slope * hours > lim


def refresh(
    conn: psycopg.Connection, station_ids: list[int] | None = None, now: datetime | None = None
) -> dict[int, tuple[str, str | None]]:
    """Recompute and store the state of the given stations (all when None); return them."""
    cfg = get_settings()
    if now is None:
        row = conn.execute("SELECT now()").fetchone()
        assert row is not None
        now = row[0]
    ids = (
        station_ids
        if station_ids is not None
        else [r[0] for r in conn.execute("SELECT id FROM sensor.stations").fetchall()]
    )
    if not ids:
        return {}
    offline = timedelta(minutes=cfg.state_offline_minutes)
    args = {
        "ids": ids,
        "now": now,
        "offline": offline,
        "run": cfg.state_flat_run,
        "n": max(cfg.state_trend_hours, 1),
        "today": local_day(now),
    }
    facts = {r[0]: r[1:] for r in conn.execute(_FACTS, args).fetchall()}
    flat: dict[int, list[str]] = {}
    for sid, param in conn.execute(_FLAT, args).fetchall():
        flat.setdefault(sid, []).append(param)
    bad: dict[int, int] = dict(
        conn.execute(_OUT_OF_RANGE, {**args, "run": cfg.state_out_of_range_run}).fetchall()
    )
    signals: dict[int, list[Signal]] = {}
    own = exceedances.limits_of(conn, ids)
    for sid, kind, param, hours, means, day, day_mean in conn.execute(_SIGNALS, args):
        lim = own.get((sid, param))
        signals.setdefault(sid, []).append(
            Signal(kind, param, hours or [], means or [], day, day_mean, lim.value if lim else None)
        )
    result: dict[int, tuple[str, str | None]] = {}
    for sid in ids:
        last, calibrating = facts.get(sid, (None, None))
        if last is None or last < now - offline:
            result[sid] = (
                OFFLINE,
                f"no reading since {last:%Y-%m-%d %H:%M %Z}" if last else "no reading yet",
            )
        elif sid in flat or sid in bad:
            why = (
                f"flat line: {', '.join(sorted(flat[sid]))}"
                if sid in flat
                else f"{bad[sid]} out-of-range readings in the last hour"
            )
            result[sid] = (DEVICE_FAULT, why)
        elif calibrating:
            result[sid] = (CALIBRATING, "readings flagged as calibration")
        else:
            result[sid] = judge(signals.get(sid, []), cfg)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO sensor.station_states (station_id, state, reason) VALUES (%s, %s, %s)"
            " ON CONFLICT (station_id) DO UPDATE SET reason = EXCLUDED.reason,"
            " since = CASE WHEN sensor.station_states.state = EXCLUDED.state"
            " THEN sensor.station_states.since ELSE now() END,"
            " state = EXCLUDED.state, updated_at = now()",
            [(sid, state, why) for sid, (state, why) in result.items()],
        )
    return result
