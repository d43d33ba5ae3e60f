"""Request parameters: every rule of maps/params.py answered 400 (never 500), and stated in
the OpenAPI document; CQL2 and ``?prop=`` filters limited to the caller's declared properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gis.errors import InvalidInput
from layers.crs_uri import parse_crs_uri
from layers.inputs import parse_bbox, parse_datetime
from maps.params import MAX_FILTER_CHARS, MAX_TILE_LAYERS

ITEMS = "/collections/parcels/items"
STATION_ITEMS = "/collections/stations/items"


def _detail(r) -> str:
    body = r.json()
    return str(body.get("description") or body.get("detail"))


# --- pure parsers -------------------------------------------------------------------------


def test_datetime_forms():
    utc = UTC
    assert parse_datetime(None) is None
    assert parse_datetime("2025-07-01T10:00:00Z") == (
        datetime(2025, 7, 1, 10, tzinfo=utc),
        datetime(2025, 7, 1, 10, tzinfo=utc),
    )
    # No offset: UTC assumed. An offset is kept.
    start, _ = parse_datetime("2025-07-01T10:00:00")
    assert start == datetime(2025, 7, 1, 10, tzinfo=utc)
    start, _ = parse_datetime("2025-07-01T17:00:00+07:00")
    assert start == datetime(2025, 7, 1, 10, tzinfo=utc)
    # A date alone is its whole day; open ends.
    assert parse_datetime("2025-07-01") == (
        datetime(2025, 7, 1, tzinfo=utc),
        datetime(2025, 7, 1, 23, 59, 59, 999_999, tzinfo=utc),
    )
    assert parse_datetime("../2025-07-01T00:00:00Z") == (None, datetime(2025, 7, 1, tzinfo=utc))
    assert parse_datetime("2025-07-01T00:00:00Z/..") == (datetime(2025, 7, 1, tzinfo=utc), None)
    assert parse_datetime("9999-12-31") is not None  # no overflow at the end of the calendar


@pytest.mark.parametrize(
    "text",
    ["x", "20250701", "2025-13-01", "2025-07-01T25:00:00Z", "2025-07-01T10:00Z",
     "2025-07-02/2025-07-01", "2025-07-01T00:00:00Z/x", "0000-01-01", "1e309"],
)  # fmt: skip
def test_bad_datetimes(text):
    with pytest.raises(InvalidInput):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("text", "crs"),
    [("1,2,3", None), ("1,2,3,4,5", None), ("a,b,c,d", None), ("nan,1,2,3", None),
     ("1e309,1,2,3", None), ("-inf,1,2,3", None), ("3,1,2,4", None), ("1,4,2,3", None),
     ("1,1,1,1", None), ("-181,0,1,1", None), ("0,-91,1,1", None), ("1,2,5,3,4,1", None),
     ("0,0,1e9,1e9", "http://www.opengis.net/def/crs/EPSG/0/3857"),
     ("0,0,1e8,1e8", "http://www.opengis.net/def/crs/EPSG/0/5897"),
     # EPSG:4326 is latitude first: 105 is not a latitude.
     ("105,20,106,22", "http://www.opengis.net/def/crs/EPSG/0/4326")],
)  # fmt: skip
def test_bad_bboxes(text, crs):
    with pytest.raises(InvalidInput):
        parse_bbox(text, parse_crs_uri(crs))


def test_good_bboxes():
    assert parse_bbox("105.8,21.0,105.9,21.1") == (105.8, 21.0, 105.9, 21.1)
    assert parse_bbox("105.8,21.0,0,105.9,21.1,10") == (105.8, 21.0, 105.9, 21.1)
    assert parse_bbox("-180,-90,180,90") == (-180, -90, 180, 90)
    lat_first = parse_crs_uri("http://www.opengis.net/def/crs/EPSG/0/4326")
    assert parse_bbox("21.0,105.8,21.1,105.9", lat_first) == (21.0, 105.8, 21.1, 105.9)
    vn = parse_crs_uri("http://www.opengis.net/def/crs/EPSG/0/5897")
    assert parse_bbox("585000,2320000,590000,2330000", vn)


# --- over HTTP ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [({"bbox": "1,2,3"}, 400), ({"bbox": "nan,1,2,3"}, 400), ({"bbox": "1e309,1,2,3"}, 400),
     ({"bbox": "106,21,105,22"}, 400), ({"bbox": "-200,0,1,1"}, 400),
     ({"bbox": ",".join(["1"] * 120)}, 400),
     ({"bbox": "0,0,1e9,1e9", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, 400),
     ({"bbox-crs": "EPSG:1234"}, 400), ({"crs": "EPSG:4269"}, 400), ({"crs": "x" * 2000}, 400),
     ({"limit": 0}, 400), ({"limit": 10_001}, 400), ({"limit": "1e3"}, 400),
     ({"after": -1}, 400), ({"after": 2**63}, 400), ({"before": "1' OR '1'='1"}, 400),
     ({"filter": "x" * (MAX_FILTER_CHARS + 1)}, 400), ({"filter": "land_use = 'a\x00'"}, 400),
     ({"filter-lang": "sql"}, 400), ({"filter": "land_use = "}, 400),
     ({"land_use": "ODT\x00"}, 400), ({"nope": "1"}, 400), ({"land_use": "x" * 2000}, 400)],
)  # fmt: skip
def test_items_parameters_rejected(client, params, status):
    r = client.get(ITEMS, params=params)
    assert r.status_code == status, r.text
    assert _detail(r)
    assert "psycopg" not in r.text and "Traceback" not in r.text


def test_too_many_property_filters(client):
    r = client.get(ITEMS + "?" + "&".join(f"land_use=ODT{i}" for i in range(17)))
    assert r.status_code == 400
    assert "at most" in _detail(r)


@pytest.mark.parametrize(
    "params",
    [{"bbox": "105.80,21.00,105.90,21.10"}, {"bbox": "105.80,21.00,0,105.90,21.10,100"},
     {"bbox": "21.00,105.80,21.10,105.90", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
     {"bbox": "-180,-90,180,90"}, {"limit": 10_000}, {"filter-lang": "cql2-text",
     "filter": "land_use = 'ODT'"}, {"land_use": "ODT"}],
)  # fmt: skip
def test_items_parameters_accepted(client, params):
    r = client.get(ITEMS, params=params)
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "FeatureCollection"


@pytest.mark.parametrize(
    ("value", "status"),
    [("2025-01-01T00:00:00Z/..", 200), ("../..", 200), ("2025-01-01", 200),
     ("2025-01-02/2025-01-01", 400), ("yesterday", 400), ("2025-02-30", 400)],
)  # fmt: skip
def test_items_datetime(client, demo_stations, value, status):
    assert client.get(STATION_ITEMS, params={"datetime": value}).status_code == status


@pytest.mark.parametrize(
    ("path", "status"),
    [("/tiles/parcels/25/0/0.mvt", 400), ("/tiles/parcels/-1/0/0.mvt", 400),
     ("/tiles/parcels/2/4/0.mvt", 400), ("/tiles/parcels/2/0/-1.mvt", 400),
     ("/tiles/parcels/2/0/99999999999999999999.mvt", 400),
     ("/tiles/Parcels/2/0/0.mvt", 400), ("/tiles/parcels;drop/2/0/0.mvt", 400),
     ("/tiles/parcels,parcels/2/0/0.mvt", 400),
     ("/tiles/" + ",".join(["parcels"] * (MAX_TILE_LAYERS + 1)) + "/2/0/0.mvt", 400),
     ("/tiles/parcels,communes/2/0/0.mvt", 200), ("/raster/landcover/25/0/0.png", 400),
     ("/raster/landcover/2/4/0.png", 400)],
)  # fmt: skip
def test_tile_parameters(client, path, status):
    assert client.get(path).status_code == status


@pytest.mark.parametrize(
    ("path", "status"),
    [("/parcels/at?lon=181&lat=21", 400), ("/parcels/at?lon=105&lat=-91", 400),
     ("/parcels/at?lon=nan&lat=21", 400), ("/parcels/at?lon=inf&lat=21", 400),
     ("/parcels/at?lon=1e309&lat=21", 400), ("/parcels/at?lon=0&lat=0", 404),
     ("/raster/landcover/point?lon=200&lat=0", 400), ("/raster/landcover/point?lon=0&lat=95", 400),
     ("/parcels/0007/1/1", 400), ("/parcels/abcde/1/1", 400), ("/parcels/000700/1/1", 400),
     ("/parcels/00070/0/1", 400), ("/parcels/00070/1/0", 400), ("/parcels/00070/100001/1", 400),
     ("/parcels/00070/1/1000001", 400), ("/parcels/00070/1/1", 200),
     ("/parcels/00070/1/1/planning", 200), ("/parcels/00070/-1/1/planning", 400),
     ("/stats/landcover/communes/7", 400), ("/stats/landcover/parcels/00070/1/0", 400),
     ("/parcels/near-exceeding?distance=0", 400), ("/parcels/near-exceeding?distance=20001", 400),
     ("/parcels/near-exceeding?limit=0", 400), ("/parcels/near-exceeding?limit=10001", 400),
     ("/parcels/near-exceeding?parameter=pm25'--", 400),
     ("/parcels/near-exceeding?distance=20000&parameter=pm25", 200)],
)  # fmt: skip
def test_domain_parameters(client, path, status):
    r = client.get(path)
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    ("path", "status"),
    [("/stations/WEBAIR1/observations?parameter=pm25", 200),
     ("/stations/WEB%20AIR1", 400), ("/stations/" + "A" * 65, 400),
     ("/stations/WEBAIR1/observations?parameter=pm2.5'", 400),
     ("/stations/WEBAIR1/observations", 400),
     ("/stations/WEBAIR1/observations?parameter=pm25&from=2026-01-02T00:00:00Z"
      "&to=2026-01-01T00:00:00Z", 400),
     ("/stations/WEBAIR1/observations?parameter=pm25&from=2026-01-01T00:00:00Z"
      "&to=2026-02-15T00:00:00Z", 400),
     ("/stations/WEBAIR1/observations?parameter=pm25&interval=hour&from=2026-01-01T00:00:00Z"
      "&to=2026-02-15T00:00:00Z", 200),
     ("/stations/WEBAIR1/observations?parameter=pm25&interval=minute", 400),
     ("/stations/WEBAIR1/observations?parameter=pm25&from=0001-01-01T00:00:00Z", 400),
     ("/stations/WEBAIR1/observations?parameter=pm25&to=0001-01-01T00:00:00Z", 400),
     ("/stations/WEBAIR1/aqi?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400),
     ("/stations/WEBAIR1/aqi?daily=true&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 200),
     ("/stations/WEBAIR1/aqi?daily=true&from=1990-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400),
     ("/stations/WEBAIR1/aqi?scheme=eu", 400)],
)  # fmt: skip
def test_station_parameters(client, demo_stations, path, status):
    r = client.get(path)
    assert r.status_code == status, r.text


def test_naive_from_is_utc(client, demo_stations):
    """A time without an offset is UTC (it used to fail comparing with the aware default 'to')."""
    since = (datetime.now(UTC) - timedelta(hours=3)).replace(tzinfo=None).isoformat("T", "seconds")
    r = client.get("/stations/WEBAIR1/observations", params={"parameter": "pm25", "from": since})
    assert r.status_code == 200, r.text
    assert 1 <= len(r.json()["values"]) <= 4


def test_openapi_states_the_rules(client):
    doc = client.get("/api").json()

    def param(path: str, name: str) -> dict:
        ops = doc["paths"][path]["get"]["parameters"]
        return next(p for p in ops if p["name"] == name)["schema"]

    assert param("/parcels/at", "lon")["maximum"] == 180
    assert param("/parcels/at", "lat")["minimum"] == -90
    assert param("/tiles/{names}/{z}/{x}/{y}.mvt", "z")["maximum"] == 24
    assert param("/parcels/{commune}/{sheet}/{number}", "commune")["pattern"] == "^[0-9]{5}$"
    assert param("/parcels/{commune}/{sheet}/{number}", "sheet")["minimum"] == 1
    assert param("/parcels/near-exceeding", "distance")["maximum"] == 20_000
    items = doc["paths"]["/collections/{cid}/items"]["get"]["parameters"]
    # limit is shared (#/components/parameters/limit: where QGIS reads the page size)
    items = [doc["components"]["parameters"]["limit"] if "$ref" in p else p for p in items]
    names = {p["name"] for p in items}
    assert {"bbox", "bbox-crs", "datetime", "filter", "filter-lang", "limit", "after"} <= names
    flt = next(p for p in items if p["name"] == "filter")["schema"]["anyOf"][0]
    assert flt["maxLength"] == MAX_FILTER_CHARS
    assert "UTC is assumed" in next(p for p in items if p["name"] == "datetime")["description"]


# --- CQL2 and ?prop= limited to the caller's declared properties --------------------------


@pytest.mark.parametrize(
    "cql",
    ["land_users IS NOT NULL", "land_users LIKE '%'", "id_number = '1'", "valid_to IS NULL",
     "upper(land_use) = 'ODT'", "land_use IN (SELECT full_name FROM land.land_users)",
     "\"land_users\" IS NOT NULL", "s.land_users IS NOT NULL", "fid = 1 OR 1=1; DROP TABLE x"],
)  # fmt: skip
def test_filter_on_undeclared_or_hidden_property_is_refused(client, cql):
    r = client.get(ITEMS, params={"filter": cql})
    assert r.status_code == 400, r.text


def test_json_filter_on_hidden_property_is_refused(client):
    doc = '{"op": "isNull", "args": [{"property": "land_users"}]}'
    r = client.get(ITEMS, params={"filter": doc, "filter-lang": "cql2-json"})
    assert r.status_code == 400
    assert client.get(ITEMS, params={"land_users": "x"}).status_code == 400


def test_land_role_may_filter_on_land_users(client, role_keys):
    land = {"X-API-Key": role_keys["land"]}
    r = client.get(ITEMS, params={"filter": "land_users IS NOT NULL", "limit": 1}, headers=land)
    assert r.status_code == 200, r.text
    assert r.json()["features"][0]["properties"]["land_users"]


@pytest.mark.parametrize("depth", [50, 500, 3000])
def test_deeply_nested_filter_is_not_a_server_error(client, depth):
    cql = "(" * depth + "land_use = 'ODT'" + ")" * depth
    r = client.get(ITEMS, params={"filter": cql[:MAX_FILTER_CHARS]})
    assert r.status_code < 500, r.text
    nested_not = "NOT " * depth + "land_use = 'ODT'"
    assert client.get(ITEMS, params={"filter": nested_not[:MAX_FILTER_CHARS]}).status_code < 500


@pytest.mark.parametrize("crs", [None, "http://www.opengis.net/def/crs/EPSG/0/3857",
                                 "http://www.opengis.net/def/crs/EPSG/0/5897",
                                 "http://www.opengis.net/def/crs/EPSG/0/4326"])  # fmt: skip
@pytest.mark.parametrize(
    "cql",
    ["S_INTERSECTS(geometry, POINT(1e300 1e300))", "BBOX(geometry, -1e300, -1e300, 1e300, 1e300)",
     "S_WITHIN(geometry, POLYGON((0 0, 1e308 0, 1e308 1e308, 0 0)))",
     "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"],
)  # fmt: skip
def test_spatial_filters_out_of_range_are_no_server_error(client, cql, crs):
    """Geometry literals of a filter are checked against their CRS's range like ``bbox``
    (layers.crs_uri.crs_range); outside a projected CRS's domain PostGIS cannot transform them."""
    params = {"filter": cql, **({"filter-crs": crs} if crs else {})}
    r = client.get(ITEMS, params=params)
    assert r.status_code in (200, 400), r.text
