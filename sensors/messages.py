"""The pure step of ingest: one MQTT message → readings to store and reasons to reject."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sensors.catalog import Catalog, Stream
from sensors.payloads import PayloadError, parse_observations, parse_telemetry

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(minutes=10)
MAX_REASON = 2000

_DATASTREAM_TOPIC = re.compile(r"^v1\.1/Datastreams\((\d{1,9})\)/Observations$")
_STATION_TOPIC = re.compile(r"^stations/([A-Za-z0-9_.-]{1,64})/telemetry$")

#: (datastream id, phenomenon time, result, quality)
Row = tuple[int, datetime, float, str | None]


@dataclass(slots=True)
class Outcome:
    """What one message yields: rows to store, reasons for what was refused, stations touched."""

    rows: list[Row] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    stations: set[str] = field(default_factory=set)
    unknown: bool = False  # it named a station or datastream the catalogue lacks

    @property
    def reason(self) -> str | None:
        """All reasons in one line (None when nothing was refused)."""
        if not self.reasons:
            return None
        text = "; ".join(self.reasons)
        return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def parse_time(value: int | str, now: datetime) -> datetime:
    """A reading's time from epoch milliseconds or ISO 8601 with a zone, within bounds."""
    if isinstance(value, int):
        if abs(value) > 10**15:
            raise ValueError(f"epoch milliseconds out of range: {value}")
        t = datetime.fromtimestamp(value / 1000, tz=UTC)
    else:
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value[:40]!r}") from None
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"time without a zone: {value[:40]!r}")
    if t < EARLIEST:
        raise ValueError(f"time before 2000: {t.isoformat()}")
    if t > now + MAX_AHEAD:
        raise ValueError(f"time more than 10 minutes in the future: {t.isoformat()}")
    return t


def _check(stream: Stream, t: datetime, value: float, quality: str | None, out: Outcome) -> None:
    prop = stream.prop
    if not math.isfinite(value) or not prop.accepts(value):
        out.reasons.append(
            f"{prop.code}={value} outside {prop.minimum:g}..{prop.maximum:g} {prop.unit}"
        )
        return
    out.rows.append((stream.id, t, float(value), quality))
    out.stations.add(stream.station)


def _quality(value: object) -> str | None:
    if value is None:
        return None
    # PostgreSQL text cannot hold NUL: one such byte would make the batch fail for ever
    return (value if isinstance(value, str) else str(value)).replace("\x00", "")[:100]


def _datastream(ds_id: int, payload: bytes, catalog: Catalog, now: datetime) -> Outcome:
    out = Outcome()
    stream = catalog.datastreams.get(ds_id)
    if stream is None:
        out.unknown = True
        out.reasons.append(f"unknown datastream {ds_id}")
        return out
    for obs in parse_observations(payload):
        try:
            t = parse_time(obs.phenomenonTime, now)
        except ValueError as exc:
            out.reasons.append(str(exc))
            continue
        _check(stream, t, obs.result, _quality(obs.resultQuality), out)
    return out


def _station(code: str, payload: bytes, catalog: Catalog, now: datetime) -> Outcome:
    out = Outcome()
    station = catalog.stations.get(code)
    if station is None:
        out.unknown = True
        out.reasons.append(f"unknown station {code!r}")
        return out
    for record in parse_telemetry(payload):
        try:
            t = parse_time(record.ts, now)
        except ValueError as exc:
            out.reasons.append(str(exc))
            continue
        if not record.values:
            out.reasons.append("a record without values")
        for prop_code, value in record.values.items():
            stream = station.streams.get(prop_code)
            if stream is None:
                out.unknown = True
                out.reasons.append(f"unknown property {prop_code[:40]!r} for station {code}")
                continue
            _check(stream, t, value, _quality(record.quality), out)
    return out


def to_rows(topic: str, payload: bytes, catalog: Catalog, now: datetime) -> Outcome:
    """Turn one message into rows; nothing here raises on bad input, it explains instead."""
    try:
        if m := _STATION_TOPIC.match(topic):
            return _station(m.group(1), payload, catalog, now)
        if m := _DATASTREAM_TOPIC.match(topic):
            return _datastream(int(m.group(1)), payload, catalog, now)
    except PayloadError as exc:
        return Outcome(reasons=[str(exc)])
    return Outcome(reasons=[f"unknown topic {topic[:100]!r}"])
