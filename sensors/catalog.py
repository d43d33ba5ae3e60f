"""The ingester's view of stations and datastreams, loaded from ``sensor.*`` in one query."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from sensors.properties import ObservedProperty, get_property


@dataclass(frozen=True, slots=True)
class Stream:
    """One datastream as the ingester needs it."""

    id: int
    station: str
    prop: ObservedProperty


@dataclass(frozen=True, slots=True)
class StationStreams:
    """A station's kind and its datastreams keyed by property code."""

    code: str
    kind: str
    streams: dict[str, Stream]


@dataclass(slots=True)
class Catalog:
    """Stations by code and datastreams by id; what a message may refer to."""

    stations: dict[str, StationStreams] = field(default_factory=dict)
    datastreams: dict[int, Stream] = field(default_factory=dict)
    version: tuple[object, ...] = ()

    @classmethod
    def build(cls, rows: list[tuple[str, str, int | None, str | None]]) -> Catalog:
        """Build from (station code, kind, datastream id, property code) rows."""
        cat = cls()
        for code, kind, ds_id, prop_code in rows:
            entry = cat.stations.setdefault(code, StationStreams(code, kind, {}))
            prop = get_property(kind, prop_code) if prop_code else None
            if ds_id is None or prop is None:
                continue  # a station without datastreams, or a property no longer catalogued
            stream = Stream(ds_id, code, prop)
            entry.streams[prop.code] = stream
            cat.datastreams[ds_id] = stream
        return cat


_VERSION = (
    "SELECT (SELECT max(updated_at) FROM sensor.stations), (SELECT count(*) FROM sensor.stations),"
    " (SELECT max(id) FROM sensor.datastreams), (SELECT count(*) FROM sensor.datastreams)"
)


def catalog_version(conn: psycopg.Connection) -> tuple[object, ...]:
    """A cheap fingerprint of the registry: it changes when stations or datastreams do."""
    return tuple(conn.execute(_VERSION).fetchone() or ())


def load_catalog(conn: psycopg.Connection) -> Catalog:
    """Read every active station and its datastreams."""
    version = catalog_version(conn)
    rows = conn.execute(
        "SELECT s.code, s.kind, d.id, d.property_code FROM sensor.stations s"
        " LEFT JOIN sensor.datastreams d ON d.station_id = s.id"
        " WHERE s.status <> 'inactive' ORDER BY s.code, d.id"
    ).fetchall()
    cat = Catalog.build(rows)
    cat.version = version
    return cat
