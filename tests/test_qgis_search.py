"""CQL2 CASEI()/ACCENTI() (đ/Đ folded, indexed) and sortby, for QGIS, OWSLib and the pages."""

from __future__ import annotations

import psycopg
import pytest
from owslib.ogcapi.features import Features

from gis.settings import to_libpq_url
from layers.catalog import CATALOG
from layers.cql import to_sql

CONFORMANCE = (
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
)


def names(client, collection: str, cql: str, **params: str) -> list[str]:
    query = {"filter": cql, "limit": 50, **params}
    r = client.get(f"/collections/{collection}/items", params=query)
    assert r.status_code == 200, r.text
    return [f["properties"]["name"] for f in r.json()["features"]]


def test_conformance_declares_casei_accenti_and_sorting(client):
    assert set(CONFORMANCE) <= set(client.get("/conformance").json()["conformsTo"])


@pytest.mark.parametrize(
    "cql",
    [
        "ACCENTI(CASEI(name)) LIKE ACCENTI(CASEI('ba dinh%'))",
        "CASEI(ACCENTI(name)) LIKE 'ba dinh%'",
        "ACCENTI(name) = ACCENTI('Ba Dinh')",
        "CASEI(ACCENTI(name)) = 'ba dinh'",
    ],
)
def test_typed_without_marks_finds_ba_dinh(client, cql):
    assert "Ba Đình" in names(client, "communes", cql)


def test_without_the_functions_nothing_is_found(client):
    assert names(client, "communes", "name LIKE 'ba dinh%'") == []  # the control


def test_d_stroke_folds_both_ways(client):
    found = names(client, "communes", "ACCENTI(CASEI(name)) LIKE ACCENTI(CASEI('%Đinh%'))")
    assert "Ba Đình" in found


def test_cql2_json_casei_and_accenti(client):
    cql = (
        '{"op":"like","args":[{"op":"accenti","args":[{"op":"casei","args":[{"property":"name"}]}]},'
        '"ba dinh%"]}'
    )
    assert "Ba Đình" in names(client, "communes", cql, **{"filter-lang": "cql2-json"})


def test_other_functions_are_refused_clearly(client):
    r = client.get("/collections/communes/items", params={"filter": "upper(name) = 'X'"})
    assert r.status_code == 400 and "function" in r.json()["description"]


def test_the_folded_search_uses_its_index(database_url):
    cond, params = to_sql(
        CATALOG["communes"], "ACCENTI(CASEI(name)) LIKE ACCENTI(CASEI('ba dinh%'))"
    )
    query = psycopg.sql.SQL("EXPLAIN SELECT s.fid FROM layers.communes s WHERE {}").format(cond)
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(query, params).fetchall())
    assert "communes_name_folded_idx" in plan, plan


def test_address_search_without_marks(client):
    r = client.get(
        "/collections/parcels/items",
        params={"filter": "ACCENTI(CASEI(address)) LIKE '%pho thu nghiem%'", "limit": 500},
    )
    assert r.status_code == 200 and r.json()["numberReturned"] == 120


def test_sortby_orders_and_pages_by_offset(client):
    base = "/collections/parcels/items?limit=7&sortby=-sheet_number,parcel_number"
    first = client.get(base).json()
    keys = [(f["properties"]["sheet_number"], f["properties"]["parcel_number"])
            for f in first["features"]]  # fmt: skip
    assert keys == sorted(keys, key=lambda k: (-k[0], k[1])) and keys[0][0] == 3
    nxt = next(lnk["href"] for lnk in first["links"] if lnk["rel"] == "next")
    assert "offset=7" in nxt
    second = client.get(nxt.replace("http://testserver", "")).json()
    more = [(f["properties"]["sheet_number"], f["properties"]["parcel_number"])
            for f in second["features"]]  # fmt: skip
    assert more[0] > keys[-1] or more[0][0] < keys[-1][0]
    assert not set(more) & set(keys)


@pytest.mark.parametrize(
    "params",
    [{"sortby": "land_users"}, {"sortby": "nope"}, {"sortby": "a,a"},
     {"sortby": "sheet_number", "after": "5"}],
)  # fmt: skip
def test_bad_sortby_is_400(client, params):
    r = client.get("/collections/parcels/items", params=params)
    assert r.status_code == 400, r.text


def test_owslib_sorts_and_filters_the_same(live_server):
    api = Features(live_server.url)
    cql = "ACCENTI(CASEI(name)) LIKE 'ba dinh%'"  # OWSLib encodes the query string itself
    found = api.collection_items("communes", filter=cql, limit=5)
    assert any(f["properties"]["name"] == "Ba Đình" for f in found["features"])
    ordered = api.collection_items("parcels", sortby=("parcel_number", "desc"), limit=3)
    numbers = [f["properties"]["parcel_number"] for f in ordered["features"]]
    assert numbers == sorted(numbers, reverse=True)
