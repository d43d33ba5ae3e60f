"""OGC API Features: paging, bbox/bbox-crs, crs (VN-2000), datetime, CQL2, single items."""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Transformer

from gis.crs import bound_crs

EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


def walk(client, url: str, params: dict) -> list[dict]:
    """Every feature, following next links."""
    feats: list[dict] = []
    page = client.get(url, params=params).json()
    while True:
        feats += page["features"]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            return feats
        page = client.get(nxt[0]).json()


def test_landing_conformance_collections(client):
    landing = client.get("/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"service-desc", "conformance", "data"} <= rels
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in conf
    cols = client.get("/collections").json()["collections"]
    ids = {c["id"] for c in cols}
    assert {"provinces", "communes", "parcels", "planning", "stations", "alerts"} <= ids
    assert "landcover" not in ids
    parcels = next(c for c in cols if c["id"] == "parcels")
    assert EPSG.format(5897) in parcels["crs"] and EPSG.format(3405) in parcels["crs"]
    assert client.get("/api").json()["openapi"].startswith("3.")
    q = client.get("/collections/parcels/queryables")
    assert q.headers["content-type"] == "application/schema+json"
    assert q.json()["properties"]["legal_area_m2"]["type"] == "number"


def test_keyset_paging_walks_everything_once(client, conn):
    params = {"limit": 17, "province_code": "01"}
    feats = walk(client, "/collections/communes/items", params)
    ids = [f["id"] for f in feats]
    want = [r[0] for r in conn.execute(
        "SELECT code::bigint FROM admin.communes WHERE province_code = '01' ORDER BY code"
    )]  # fmt: skip
    assert ids == want and len(ids) == 126


def test_prev_link_returns_previous_page(client):
    first = client.get("/collections/communes/items", params={"limit": 5}).json()
    assert not [link for link in first["links"] if link["rel"] == "prev"]
    assert first["numberMatched"] == 3321  # exact below 10,000 (a bounded count)
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt).json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    back = client.get(prev).json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in first["features"]]
    assert second["features"][0]["id"] > first["features"][-1]["id"]


def test_bbox_in_wgs84_and_in_vn2000(client, conn):
    row = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::box2d"
        " AS e FROM land.parcels WHERE sheet_number = 1 AND valid_to IS NULL) s"
    ).fetchone()
    w, s, e, n = row
    cx, cy = (w + e) / 2, (s + n) / 2
    box = (cx - 0.0004, cy - 0.0004, cx + 0.0004, cy + 0.0004)
    want = {r[0] for r in conn.execute(
        "SELECT fid FROM layers.parcels"
        " WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
        box,
    )}  # fmt: skip
    got = walk(client, "/collections/parcels/items", {"bbox": ",".join(map(str, box)), "limit": 7})
    assert {f["id"] for f in got} == want and want
    # The same box in VN-2000 TM-3 105° (EPSG:5897), as an official would give it.
    to_vn = Transformer.from_crs(4326, bound_crs(5897), always_xy=True)
    x1, y1 = to_vn.transform(box[0], box[1])
    x2, y2 = to_vn.transform(box[2], box[3])
    got_vn = walk(client, "/collections/parcels/items", {
        "bbox": f"{x1},{y1},{x2},{y2}", "bbox-crs": EPSG.format(5897), "limit": 100,
    })  # fmt: skip
    assert {f["id"] for f in got_vn} == want
    # EPSG:4326 means latitude first.
    lat_first = f"{box[1]},{box[0]},{box[3]},{box[2]}"
    got_ll = client.get("/collections/parcels/items", params={
        "bbox": lat_first, "bbox-crs": EPSG.format(4326), "limit": 100}).json()  # fmt: skip
    assert {f["id"] for f in got_ll["features"]} == want


def test_output_in_vn2000_matches_native_geometry(client, conn):
    fid, native = conn.execute(
        "SELECT id, ST_AsBinary(geom_native) FROM land.parcels WHERE srid = 5897"
        " AND valid_to IS NULL ORDER BY id LIMIT 1"
    ).fetchone()
    r = client.get(f"/collections/parcels/items/{fid}", params={"crs": EPSG.format(5897)})
    assert r.headers["content-crs"] == f"<{EPSG.format(5897)}>"
    got = shapely.geometry.shape(r.json()["geometry"])
    assert got.equals_exact(shapely.from_wkb(bytes(native)), tolerance=0.01)
    # EPSG:4326 is served latitude first, CRS84 longitude first.
    ll = client.get(f"/collections/parcels/items/{fid}", params={"crs": EPSG.format(4326)})
    xy = client.get(f"/collections/parcels/items/{fid}")
    lat, lon = ll.json()["geometry"]["coordinates"][0][0][0]
    assert 20 < lat < 22 and 105 < lon < 107
    assert xy.json()["geometry"]["coordinates"][0][0][0] == [lon, lat]


def test_unsupported_crs_is_a_clear_400(client):
    r = client.get("/collections/parcels/items", params={"crs": "EPSG:2154"})
    assert r.status_code == 400 and "unsupported CRS" in r.json()["description"]


def test_datetime_filter(client, conn):
    (first,) = conn.execute("SELECT min(valid_from) FROM layers.parcels").fetchone()
    future = client.get(
        "/collections/parcels/items", params={"datetime": "2099-01-01T00:00:00Z/.."}
    )
    assert future.json()["features"] == []
    since = client.get("/collections/parcels/items", params={
        "datetime": f"{first.isoformat()}/..", "limit": 1000}).json()  # fmt: skip
    (total,) = conn.execute("SELECT count(*) FROM layers.parcels").fetchone()
    assert since["numberReturned"] == total
    bad = client.get("/collections/parcels/items", params={"datetime": "yesterday"})
    assert bad.status_code == 400
    assert (
        client.get("/collections/communes/items", params={"datetime": "2024-01-01"}).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("cql", "sql"),
    [
        ("land_use = 'ODT' AND legal_area_m2 > 100", "land_use = 'ODT' AND legal_area_m2 > 100"),
        ("land_use IN ('DGD', 'TMD')", "land_use IN ('DGD', 'TMD')"),
        ("parcel_number BETWEEN 3 AND 9", "parcel_number BETWEEN 3 AND 9"),
        ("address LIKE 'Số 1%'", "address LIKE 'Số 1%'"),
        (
            "NOT (sheet_number = 1) OR parcel_number < 2",
            "NOT (sheet_number = 1) OR parcel_number < 2",
        ),
        ("purposes IS NULL", "purposes IS NULL"),
        ("sheet_number + parcel_number = 10", "sheet_number + parcel_number = 10"),
    ],
)
def test_cql2_text_matches_sql(client, conn, cql, sql):
    want = {r[0] for r in conn.execute(f"SELECT fid FROM layers.parcels WHERE {sql}")}
    got = walk(client, "/collections/parcels/items", {"filter": cql, "limit": 500})
    assert {f["id"] for f in got} == want


def test_cql2_json_and_spatial(client, conn):
    fid, lon, lat = conn.execute(
        "SELECT fid, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
        " FROM layers.parcels ORDER BY fid LIMIT 1"
    ).fetchone()
    point = {"type": "Point", "coordinates": [lon, lat]}
    doc = {"op": "s_intersects", "args": [{"property": "geometry"}, point]}
    r = client.get("/collections/parcels/items",
                   params={"filter": json.dumps(doc), "filter-lang": "cql2-json"})  # fmt: skip
    assert [f["id"] for f in r.json()["features"]] == [fid]
    text = client.get("/collections/parcels/items",
                      params={"filter": f"S_INTERSECTS(geometry, POINT({lon} {lat}))"})  # fmt: skip
    assert [f["id"] for f in text.json()["features"]] == [fid]


@pytest.mark.parametrize(
    "bad",
    [
        "nope = 1",  # not a declared property
        "land_use = 'ODT' OR 1=1; DROP TABLE land.parcels",  # not CQL2
        "land_use ==",  # syntax
        '{"op": "=", "args": [{"property": "owner"}, 1]}',  # undeclared, in JSON
    ],
)
def test_bad_filters_are_400_and_harmless(client, conn, bad):
    r = client.get("/collections/parcels/items", params={"filter": bad})
    assert r.status_code == 400
    assert r.json()["description"]
    assert conn.execute("SELECT count(*) FROM land.parcels").fetchone()[0] > 0


def test_literal_with_quotes_is_bound_not_spliced(client):
    r = client.get(
        "/collections/parcels/items",
        params={"filter": "address = 'x\"); DROP TABLE land.parcels; --'"},
    )
    assert r.status_code == 200 and r.json()["features"] == []


def test_single_item_and_not_found(client, conn):
    (fid,) = conn.execute("SELECT min(fid) FROM layers.parcels").fetchone()
    r = client.get(f"/collections/parcels/items/{fid}")
    doc = r.json()
    assert r.headers["content-type"] == "application/geo+json"
    assert doc["id"] == fid and doc["properties"]["commune_code"] == "00070"
    assert {link["rel"] for link in doc["links"]} == {"self", "collection"}
    assert client.get("/collections/parcels/items/999999999").status_code == 404
    assert client.get("/collections/parcels/items/abc").status_code == 404
    assert client.get("/collections/nope/items").status_code == 404
    assert client.get("/collections/parcels/items", params={"limit": 0}).status_code == 400
