"""Outbox rows → episode notices: one when an episode starts, reminders, one when it ends.

Runs inside the planner's transaction, so an outbox row is consumed exactly when the
deliveries it causes are written. Episode keys: (exceedance, station, ``param/period``),
(aqi, station, ``aqi``), (offline, station, ``offline``: offline state or a transmission
interruption), (device, station, ``device``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sensors.indices.categories import VN_AQI_CATEGORIES, aqi_category
from sensors.notify.notice import Notice

#: An AQI episode opens at this category rank (3 = Kém/Poor: Bảng 4 of Decision 1459 first
#: advises sensitive groups to act there) and ends when the hourly category falls below it.
AQI_FROM = 3
#: Hours after the last exceeding window's end before its next window can be judged complete
#: (the 24 h window of the next day needs its whole day).
_JUDGED_AFTER = {"1h": timedelta(0), "8h": timedelta(0), "24h": timedelta(hours=23)}

_OPEN = """
SELECT id, level, last_at, noticed_at FROM notify.episodes
WHERE kind = %s AND station_id = %s AND subject = %s AND closed_at IS NULL FOR UPDATE
"""
_INSERT = """
INSERT INTO notify.episodes (kind, station_id, subject, datastream_id, period, level,
                             opened_at, last_at, noticed_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
"""
_ENDED = """
SELECT e.id, e.station_id, e.subject, e.period, e.last_at FROM notify.episodes e
WHERE e.kind = 'exceedance' AND e.closed_at IS NULL
  AND EXISTS (SELECT 1 FROM sensor.hourly h WHERE h.datastream_id = e.datastream_id
              AND h.hour >= e.last_at + (%(after)s::jsonb ->> e.period)::interval)
  AND NOT EXISTS (SELECT 1 FROM sensor.alerts a WHERE a.datastream_id = e.datastream_id
                  AND a.period = e.period AND a.end_time > e.last_at)
FOR UPDATE OF e SKIP LOCKED
"""


#: Offline spells (state offline or a transmission interruption) that are over: a reading was
#: received after the spell began, the state is not offline and nothing is interrupted.
_BACK = """
SELECT e.id, e.station_id FROM notify.episodes e
WHERE e.kind = 'offline' AND e.closed_at IS NULL
  AND EXISTS (SELECT 1 FROM sensor.datastreams d
              JOIN sensor.latest_observations lo ON lo.datastream_id = d.id
              WHERE d.station_id = e.station_id AND lo.received_at > e.opened_at)
  AND NOT EXISTS (SELECT 1 FROM sensor.station_states st
                  WHERE st.station_id = e.station_id AND st.state = 'offline')
  AND NOT EXISTS (SELECT 1 FROM sensor.transmission_status t
                  WHERE t.station_id = e.station_id AND t.interrupted)
FOR UPDATE OF e SKIP LOCKED
"""


def category_rank(aqi: float | None) -> int:
    """VN_AQI category rank 1 (Tốt) … 6 (Nguy hại); 0 without an AQI."""
    cat = aqi_category(aqi)
    return 0 if cat is None else VN_AQI_CATEGORIES.index(cat) + 1


class Episodes:
    """The episode book of one planning transaction."""

    def __init__(self, conn: psycopg.Connection, reminder: timedelta) -> None:
        self.conn = conn
        self.reminder = reminder
        self.stations: dict[int, tuple[str, str, str]] = {}

    def station(self, sid: int) -> tuple[str, str, str]:
        """(code, name, kind) of a station (cached for the transaction)."""
        if sid not in self.stations:
            row = self.conn.execute(
                "SELECT code, name, kind FROM sensor.stations WHERE id = %s", [sid]
            ).fetchone()
            self.stations[sid] = row if row else (str(sid), str(sid), "air")
        return self.stations[sid]

    def _notice(self, kind: str, phase: str, sid: int, at: datetime, **kw: Any) -> Notice:
        code, name, skind = self.station(sid)
        return Notice(kind, phase, sid, code, name, at, station_kind=skind, **kw)

    def _open(self, kind: str, sid: int, subject: str) -> tuple[Any, ...] | None:
        return self.conn.execute(_OPEN, [kind, sid, subject]).fetchone()

    def _start(self, kind: str, sid: int, subject: str, at: datetime, **kw: Any) -> int:
        row = self.conn.execute(
            _INSERT,
            [
                kind,
                sid,
                subject,
                kw.get("ds"),
                kw.get("period"),
                kw.get("level", 0),
                at,
                kw.get("last", at),
                at,
            ],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def _close(self, eid: int) -> None:
        self.conn.execute("UPDATE notify.episodes SET closed_at = now() WHERE id = %s", [eid])

    def alert(self, sid: int, a: dict[str, Any]) -> list[Notice]:
        """A new exceedance row (or a transmission interruption)."""
        if a["period"] == "transmission":
            return self.state(sid, {"state": "interrupted", "at": a["start_time"]})
        if a["period"] not in _JUDGED_AFTER:
            return []  # annual means: reported, not notified
        exists = self.conn.execute(
            "SELECT d.unit FROM sensor.alerts a JOIN sensor.datastreams d ON d.id ="
            " a.datastream_id WHERE a.id = %s",
            [a["id"]],
        ).fetchone()
        if exists is None:
            return []  # withdrawn since: a late reading brought the window under its limit
        start = datetime.fromisoformat(a["start_time"])
        end = datetime.fromisoformat(a["end_time"])
        subject = f"{a['parameter']}/{a['period']}"
        kw = {
            "parameter": a["parameter"],
            "period": a["period"],
            "value": a["value"],
            "limit": a["limit_value"],
            "unit": exists[0],
            "standard": a["standard"],
        }
        open_ = self._open("exceedance", sid, subject)
        if open_ is None:
            eid = self._start(
                "exceedance",
                sid,
                subject,
                start,
                ds=a["datastream_id"],
                period=a["period"],
                last=end,
            )
            return [self._notice("exceedance", "start", sid, start, episode_id=eid, **kw)]
        eid, _level, _last, noticed_at = open_
        phase = "reminder" if start >= noticed_at + self.reminder else None
        self.conn.execute(
            "UPDATE notify.episodes SET last_at = greatest(last_at, %s),"
            " noticed_at = CASE WHEN %s THEN %s ELSE noticed_at END WHERE id = %s",
            [end, phase is not None, start, eid],
        )
        if phase is None:
            return []
        return [self._notice("exceedance", phase, sid, start, episode_id=eid, **kw)]

    def state(self, sid: int, s: dict[str, Any]) -> list[Notice]:
        """A station state change (offline / interrupted / device fault and back)."""
        state, at = s["state"], s["at"]
        at = datetime.fromisoformat(at) if isinstance(at, str) else at
        out: list[Notice] = []
        wanted = {"offline": state in ("offline", "interrupted"), "device": state == "device_fault"}
        for kind, now_on in wanted.items():
            open_ = self._open(kind, sid, kind)
            if now_on and open_ is None:
                eid = self._start(kind, sid, kind, at)
                out.append(
                    self._notice(
                        kind, "start", sid, at, episode_id=eid, state=state, reason=s.get("reason")
                    )
                )
            elif not now_on and open_ is not None and not (kind == "device" and wanted["offline"]):
                self._close(open_[0])
                out.append(self._notice(kind, "end", sid, at, episode_id=open_[0], state=state))
        return out

    def aqi(self, sid: int, hour: datetime, aqi: int) -> list[Notice]:
        """The station's newest hourly VN_AQI."""
        rank = category_rank(aqi)
        open_ = self._open("aqi", sid, "aqi")
        kw = {"value": float(aqi), "category": rank}
        if open_ is None:
            if rank < AQI_FROM:
                return []
            eid = self._start("aqi", sid, "aqi", hour, level=rank)
            return [self._notice("aqi", "start", sid, hour, episode_id=eid, **kw)]
        eid, level, last_at, noticed_at = open_
        if hour < last_at:
            return []  # a late hour behind the episode's newest: not news
        self.conn.execute("UPDATE notify.episodes SET last_at = %s WHERE id = %s", [hour, eid])
        if rank < AQI_FROM:
            self._close(eid)
            return [self._notice("aqi", "end", sid, hour, episode_id=eid, **kw)]
        phase = None
        if rank > level:
            phase = "escalation"
        elif hour >= noticed_at + self.reminder:
            phase = "reminder"
        if phase is None:
            return []
        self.conn.execute(
            "UPDATE notify.episodes SET level = greatest(level, %s), noticed_at = %s WHERE id = %s",
            [rank, hour, eid],
        )
        return [self._notice("aqi", phase, sid, hour, episode_id=eid, **kw)]

    def back_online(self) -> list[Notice]:
        """Offline or interrupted stations whose readings arrive again: their spell ended."""
        row = self.conn.execute("SELECT now()").fetchone()
        now: datetime = row[0] if row else datetime.now()
        out = []
        for eid, sid in self.conn.execute(_BACK).fetchall():
            self._close(eid)
            out.append(self._notice("offline", "end", sid, now, episode_id=eid, state="working"))
        return out

    def ended_exceedances(self) -> list[Notice]:
        """Exceedance episodes whose next window was judged and does not exceed: ended."""
        after = {k: f"{int(v.total_seconds())} seconds" for k, v in _JUDGED_AFTER.items()}
        out = []
        for eid, sid, subject, period, last_at in self.conn.execute(
            _ENDED, {"after": Jsonb(after)}
        ).fetchall():
            self._close(eid)
            param = subject.split("/", 1)[0]
            out.append(
                self._notice(
                    "exceedance",
                    "end",
                    sid,
                    last_at,
                    episode_id=eid,
                    parameter=param,
                    period=period,
                )
            )
        return out
