"""The pure step message → rows: formats, every rejection reason, fuzzing (no broker)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.catalog import Catalog
from sensors.messages import to_rows
from sensors.properties import PROPERTIES, codes, get_property

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
CAT = Catalog.build([
    ("A1", "air", 1, "pm25"), ("A1", "air", 2, "no2"), ("W1", "water", 3, "ph"),
    ("W1", "water", 4, "no2"), ("EMPTY", "air", None, None),
])


def tel(values: dict, ts: object = "2026-11-25T10:00:00+07:00", **extra: object) -> bytes:
    return json.dumps({"ts": ts, "values": values, **extra}).encode()


def test_catalogue_has_the_issue_codes_and_units() -> None:
    air = {"pm25", "pm10", "no2", "o3", "so2", "co", "temperature", "humidity"}
    water = {"ph", "do", "bod5", "cod", "toc", "nh4", "no3", "no2", "po4", "coliform", "ecoli",
             "water_temperature", "turbidity", "conductivity"}
    assert air <= set(codes("air")) and water <= set(codes("water"))
    assert get_property("air", "co").unit == "ug/m3"  # CO in µg/m³ like the other gases
    assert get_property("water", "no2").name.startswith("Nitrite")
    assert get_property("water", "bod5").unit == "mg/L"
    assert all(p.minimum <= p.maximum for p in PROPERTIES.values())


def test_telemetry_with_several_values() -> None:
    out = to_rows("stations/A1/telemetry", tel({"pm25": 35.2, "no2": 20}), CAT, NOW)
    t = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert sorted(out.rows) == [(1, t, 35.2, None), (2, t, 20.0, None)]
    assert out.reason is None and out.stations == {"A1"}


def test_epoch_milliseconds_and_arrays() -> None:
    ms = int(datetime(2026, 11, 25, 1, tzinfo=UTC).timestamp() * 1000)
    payload = json.dumps([{"ts": ms, "values": {"pm25": 1}}, {"ts": ms + 3600_000,
                                                              "values": {"pm25": 2}}]).encode()
    out = to_rows("stations/A1/telemetry", payload, CAT, NOW)
    assert [r[1].hour for r in out.rows] == [1, 2] and out.reason is None


def test_sensorthings_observation_and_array() -> None:
    one = b'{"phenomenonTime": "2026-11-25T10:00:00+07:00", "result": 7.1, "resultQuality": "ok"}'
    out = to_rows("v1.1/Datastreams(3)/Observations", one, CAT, NOW)
    assert out.rows == [(3, datetime(2026, 11, 25, 3, tzinfo=UTC), 7.1, "ok")]
    many = json.dumps([{"phenomenonTime": f"2026-11-25T0{h}:00:00Z", "result": h}
                       for h in range(3)]).encode()
    assert len(to_rows("v1.1/Datastreams(4)/Observations", many, CAT, NOW).rows) == 3


def reason(topic: str, payload: bytes) -> str:
    out = to_rows(topic, payload, CAT, NOW)
    assert not out.rows and out.reason
    return out.reason


def test_every_rejection_reason() -> None:
    s = "stations/A1/telemetry"
    assert "time without a zone" in reason(s, tel({"pm25": 1}, "2026-11-25T10:00:00"))
    assert "future" in reason(s, tel({"pm25": 1}, "2026-11-25T03:11:00Z"))
    assert to_rows(s, tel({"pm25": 1}, "2026-11-25T03:09:00Z"), CAT, NOW).rows  # 9 min: fine
    assert "before 2000" in reason(s, tel({"pm25": 1}, "1999-12-31T23:59:59Z"))
    assert "before 2000" in reason(s, tel({"pm25": 1}, 5))
    assert "finite" in reason(s, b'{"ts": 1764000000000, "values": {"pm25": NaN}}')
    assert "finite" in reason(s, b'{"ts": 1764000000000, "values": {"pm25": Infinity}}')
    assert "finite" in reason(s, b'{"ts": 1764000000000, "values": {"pm25": 1e999}}')
    assert "outside" in reason(s, tel({"pm25": -0.5}))
    assert "outside 0..14" in reason("v1.1/Datastreams(3)/Observations",
                                     b'{"phenomenonTime": "2026-11-25T01:00:00Z", "result": 14.5}')
    assert "unknown station" in reason("stations/NOPE/telemetry", tel({"pm25": 1}))
    assert "unknown property" in reason(s, tel({"so2": 1}))
    assert "unknown datastream" in reason("v1.1/Datastreams(99)/Observations", b"{}")
    assert "not valid JSON" in reason(s, b'{"ts": ')
    assert "not valid JSON" in reason(s, b"\xff\xfe")
    assert "invalid payload" in reason(s, b'{"ts": true, "values": {"pm25": 1}}')
    assert "invalid payload" in reason(s, b'{"ts": 1764000000000, "values": {"pm25": "1"}}')
    assert "invalid payload" in reason(s, b"[]")
    assert "unknown topic" in reason("stations/A1/other", tel({"pm25": 1}))
    assert "not an ISO 8601" in reason(s, tel({"pm25": 1}, "yesterday"))
    assert "without values" in reason(s, tel({}))


def test_unknown_names_ask_for_a_catalogue_reload() -> None:
    assert to_rows("stations/NEW/telemetry", tel({"pm25": 1}), CAT, NOW).unknown
    assert to_rows("stations/A1/telemetry", tel({"pm10": 1}), CAT, NOW).unknown
    assert not to_rows("stations/A1/telemetry", tel({"pm25": -1}), CAT, NOW).unknown


def test_good_values_are_kept_beside_bad_ones() -> None:
    out = to_rows("stations/A1/telemetry", tel({"pm25": 12, "no2": -3}), CAT, NOW)
    assert [r[0] for r in out.rows] == [1] and "no2=-3" in (out.reason or "")


def test_quality_flags_are_text_postgresql_can_store() -> None:
    payload = json.dumps({"phenomenonTime": "2026-11-25T01:00:00Z", "result": 7,
                          "resultQuality": "ok\u0000" + "x" * 200}).encode()
    (row,) = to_rows("v1.1/Datastreams(3)/Observations", payload, CAT, NOW).rows
    assert row[3] == "ok" + "x" * 98
    nested = tel({"pm25": 1}, quality=None)
    assert to_rows("stations/A1/telemetry", nested, CAT, NOW).rows[0][3] is None


def test_no2_means_nitrite_at_a_water_station() -> None:
    ok = to_rows("stations/W1/telemetry", tel({"no2": 0.03, "ph": 7}), CAT, NOW)
    assert sorted(r[0] for r in ok.rows) == [3, 4]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids,
                                                              max_size=4),
    max_leaves=12,
)
telemetry_like = st.fixed_dictionaries(
    {"ts": st.one_of(st.integers(), st.text(max_size=30),
                     st.datetimes(timezones=st.none() | st.just(UTC)).map(
                         lambda d: d.isoformat())),
     "values": st.dictionaries(st.sampled_from(["pm25", "no2", "ph", "x"]),
                               st.floats() | st.integers() | st.text(max_size=3), max_size=3)},
    optional={"quality": json_values},
)
payloads = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    telemetry_like.map(lambda v: json.dumps(v).encode()),
    st.lists(telemetry_like, max_size=3).map(lambda v: json.dumps(v).encode()),
)
topics = st.sampled_from(["stations/A1/telemetry", "stations/W1/telemetry",
                          "stations/EMPTY/telemetry", "v1.1/Datastreams(1)/Observations",
                          "v1.1/Datastreams(3)/Observations", "junk/topic"])


@settings(max_examples=500, deadline=None)
@given(topic=topics, payload=payloads)
def test_fuzz_every_message_is_stored_or_rejected(topic: str, payload: bytes) -> None:
    out = to_rows(topic, payload, CAT, NOW)
    assert out.rows or out.reason  # never silently dropped
    for ds, t, value, quality in out.rows:
        assert quality is None or "\x00" not in quality  # PostgreSQL text cannot hold NUL
        prop = CAT.datastreams[ds].prop
        assert prop.accepts(value) and t.tzinfo is not None
        assert datetime(2000, 1, 1, tzinfo=UTC) <= t <= NOW + timedelta(minutes=10)
