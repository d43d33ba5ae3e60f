"""Stations, their series and AQI, the station layer's tiles, parcels near exceeding stations."""

from __future__ import annotations

import mapbox_vector_tile

from tests.fixtures.web import tile_of


def test_stations_list_with_index_category_state(client, demo_states):
    feats = {f["properties"]["code"]: f for f in client.get("/stations").json()["features"]}
    a1, a2, a3, w1 = (feats[c]["properties"] for c in ("WEBAIR1", "WEBAIR2", "WEBAIR3", "WEBWAT1"))
    assert (a1["index_value"], a1["category"], a1["category_vi"], a1["color"]) == (
        40, "good", "Tốt", "#00e400")  # fmt: skip
    assert (a2["category"], a2["color"], a2["state"]) == ("poor", "#ff7e00", "trending")
    assert (a3["category"], a3["category_vi"], a3["state"]) == ("very_bad", "Rất xấu", "exceeding")
    assert (w1["index_value"], w1["category"], w1["category_vi"]) == (80, "good", "Tốt")
    assert a1["latest"] == {"pm25": 10.0}
    assert feats["WEBAIR1"]["geometry"]["coordinates"] == [105.84, 21.04]


def test_one_station_with_datastreams(client, demo_stations):
    doc = client.get("/stations/WEBAIR2").json()
    assert doc["properties"]["datastreams"][0]["parameter"] == "pm25"
    assert doc["properties"]["datastreams"][0]["value"] == 10.0
    assert client.get("/stations/NOPE").status_code == 404


def test_observations_raw_and_hourly(client, demo_stations):
    raw = client.get("/stations/WEBAIR1/observations", params={"parameter": "pm25"}).json()
    assert [v["value"] for v in raw["values"]] == [15.0, 14.0, 13.0, 12.0, 11.0, 10.0]
    assert raw["unit"] == "ug/m3"
    hourly = client.get("/stations/WEBAIR1/observations",
                        params={"parameter": "pm25", "interval": "hour"}).json()  # fmt: skip
    assert len(hourly["values"]) == 6 and hourly["values"][0]["coverage"] == 1.0
    missing = client.get("/stations/WEBAIR1/observations", params={"parameter": "so2"})
    assert missing.status_code == 404
    bad = client.get("/stations/WEBAIR1/observations",
                     params={"parameter": "pm25", "from": "2026-01-02T00:00:00Z",
                             "to": "2026-01-01T00:00:00Z"})  # fmt: skip
    assert bad.status_code == 400


def test_aqi_series_with_categories(client, demo_stations):
    doc = client.get("/stations/WEBAIR3/aqi").json()
    assert [(v["aqi"], v["category"], v["color"]) for v in doc["values"]] == [
        (250, "very_bad", "#8f3f97")]  # fmt: skip
    assert client.get("/stations/WEBAIR3/aqi", params={"scheme": "xx"}).status_code == 400


def test_station_and_alert_tiles(client, demo_stations):
    z, x, y = tile_of(105.8523, 21.0287, 12)
    layers = mapbox_vector_tile.decode(
        client.get(f"/tiles/stations,alerts/{z}/{x}/{y}.mvt").content
    )
    # Other areas' tests add stations of their own to the same database: look at ours.
    colours = {f["properties"]["code"]: f["properties"].get("color")
               for f in layers["stations"]["features"]}  # fmt: skip
    assert colours["WEBAIR1"] == "#00e400" and colours["WEBAIR3"] == "#8f3f97"
    alerts = [f["properties"] for f in layers["alerts"]["features"]]
    assert any(a["station_code"] == "WEBAIR3" and a["parameter"] == "pm25" for a in alerts)


def test_parcels_near_exceeding_stations(client, conn, demo_stations):
    doc = client.get("/parcels/near-exceeding", params={"distance": 300}).json()
    want = {r[0] for r in conn.execute(
        "SELECT p.fid FROM layers.parcels p, sensor.stations s WHERE s.code = 'WEBAIR3'"
        " AND ST_DWithin(p.geom::geography, s.geom::geography, 300)"
    )}  # fmt: skip
    # Other areas' tests may add exceeding stations of their own: look at WEBAIR3's parcels.
    ours = [p for p in doc["parcels"] if p["station"] == "WEBAIR3"]
    got = {(p["sheet_number"], p["parcel_number"]) for p in ours}
    assert len(got) == len(want) and want
    assert all(p["distance_m"] <= 300 for p in doc["parcels"])
    none = client.get("/parcels/near-exceeding", params={"distance": 300, "parameter": "so2"})
    assert none.json()["parcels"] == []
    assert client.get("/parcels/near-exceeding", params={"distance": -1}).status_code == 400


def test_us_aqi_series_carries_the_epa_categories(client, conn, demo_stations):
    # US AQI 147 is "Unhealthy for Sensitive Groups" (EPA); the VN_AQI band of 147 is "Kém".
    conn.execute(
        "INSERT INTO sensor.aqi_hourly (station_id, scheme, hour, aqi, dominant, sub_indices)"
        " VALUES (%s, 'us', date_trunc('hour', now()), 147, 'pm25', '{}'::jsonb)"
        " ON CONFLICT DO NOTHING",
        (demo_stations["WEBAIR2"],),
    )
    conn.commit()
    doc = client.get("/stations/WEBAIR2/aqi", params={"scheme": "us"}).json()
    (value,) = doc["values"]
    assert (value["aqi"], value["category"], value["category_en"], value["color"]) == (
        147, "usg", "Unhealthy for Sensitive Groups", "#ff7e00")  # fmt: skip
    assert value["category_vi"] == "Không tốt cho nhóm nhạy cảm"
    vn = client.get("/stations/WEBAIR2/aqi").json()["values"]
    assert [v["category"] for v in vn] == ["poor"]


def test_daily_aqi_days_before_the_day_of_to(client, conn, demo_stations):
    sid = demo_stations["WEBAIR2"]
    conn.execute(
        "INSERT INTO sensor.aqi_daily (station_id, scheme, day, aqi, dominant, sub_indices)"
        " VALUES (%s, 'us', '2026-01-01', 160, 'pm25', '{}'), (%s, 'us', '2026-01-02', 40,"
        " 'pm25', '{}') ON CONFLICT DO NOTHING",
        (sid, sid),
    )
    conn.commit()
    # from/to in Vietnam time: the days from the day of 'from' up to, not including, 'to''s.
    doc = client.get("/stations/WEBAIR2/aqi", params={
        "daily": "true", "scheme": "us", "from": "2026-01-01T00:00:00+07:00",
        "to": "2026-01-02T00:00:00+07:00"}).json()  # fmt: skip
    assert [(v["time"], v["aqi"], v["category_en"]) for v in doc["values"]] == [
        ("2026-01-01", 160, "Unhealthy")]  # fmt: skip
    assert doc["daily"] is True and doc["station_name"] == "Trạm thử WEBAIR2"
