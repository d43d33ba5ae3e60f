"""The catalog: every declaration matches its view; legends, styles and categories agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gis.errors import InvalidInput, NotFound, UnknownCRS
from layers.catalog import CATALOG, get_layer, layers_for, layers_for_source
from layers.cql import to_sql
from layers.crs_uri import parse_crs_uri
from layers.styles import LAND_USE_PALETTE_UNOFFICIAL
from sensors.indices.categories import VN_AQI_CATEGORIES, WQI_BANDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("layer", [x for x in CATALOG.values() if x.kind == "vector"],
                         ids=lambda x: x.id)  # fmt: skip
def test_every_declared_property_is_a_column_of_its_view(conn, layer):
    cols = {r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'layers' AND table_name = %s", (layer.view,),
    )}  # fmt: skip
    assert {"fid", "geom"} <= cols
    assert {p.name for p in layer.properties} <= cols
    if layer.time_property:
        assert layer.prop(layer.time_property).type == "datetime"


def test_palette_covers_every_land_use_code(conn):
    codes = {r[0] for r in conn.execute("SELECT code FROM land.land_use_codes")}
    assert codes <= set(LAND_USE_PALETTE_UNOFFICIAL)


def test_legend_and_style_documents(client):
    legend = client.get("/layers/parcels/legend.json").json()
    assert legend["property"] == "land_use" and legend["title"]["vi"] == "Thửa đất"
    odt = next(e for e in legend["entries"] if e["value"] == "ODT")
    assert odt["label"]["vi"].startswith("ODT – Đất ở tại đô thị")
    assert odt["color"] == LAND_USE_PALETTE_UNOFFICIAL["ODT"]
    # Air stations on VN_AQI, water stations on VN_WQI: every band of both is in the legend,
    # with its colour, whichever kind of station shows it.
    stations = client.get("/layers/stations/legend.json").json()["entries"]
    colours = {e["value"]: e["color"] for e in stations}
    for band in (*VN_AQI_CATEGORIES, *WQI_BANDS):
        assert colours[band.key] == band.hex, band.key
    assert len(stations) == len({c.key for c in (*VN_AQI_CATEGORIES, *WQI_BANDS)})
    medium = next(e for e in stations if e["value"] == "medium")["label"]["vi"]
    assert medium == "Trung bình (WQI 51–75)"
    style = client.get("/layers/parcels/style.json").json()
    assert style["version"] == 8
    assert style["sources"]["parcels"]["url"].endswith("/tiles/parcels/tilejson.json")
    paint = style["layers"][0]["paint"]["fill-color"]
    assert paint[:2] == ["match", ["get", "land_use"]] and ["ODT"] in paint  # label arrays
    assert style["metadata"]["folium"]["colors"]["ODT"] == odt["color"]
    raster = client.get("/layers/landcover/style.json").json()
    assert raster["sources"]["landcover"]["type"] == "raster"
    cat = client.get("/layers").json()["layers"]
    assert {x["id"] for x in cat} == set(CATALOG)
    assert client.get("/layers/nope/legend.json").status_code == 404


def test_lookups():
    assert get_layer("parcels").id == "parcels"
    with pytest.raises(NotFound):
        get_layer("parcels", kind="raster")
    with pytest.raises(NotFound):
        get_layer("parcels", role="nobody")
    assert {x.id for x in layers_for(kind="raster")} == {"aqi_surface", "landcover"}
    assert {x.id for x in layers_for_source("stations")} >= {"stations", "alerts", "aqi_surface"}


def test_rasters_are_declared_and_vectors_are_not():
    for layer in CATALOG.values():
        assert (layer.raster is not None) == (layer.kind == "raster"), layer.id
        if layer.raster is not None and layer.raster.source == "file":
            assert layer.raster.file().exists(), layer.id
        if layer.raster is not None and layer.raster.colormap == "classes":
            # Coded classes: the legend is made from the same declaration.
            assert layer.paint.entries == layer.raster.legend(), layer.id


def test_no_layer_id_is_compared_in_code():
    """Layers are declared once: code reads their declarations, never tests for an id."""
    ids = "|".join(re.escape(i) for i in CATALOG)
    pattern = re.compile(rf"""[!=]=\s*["'](?:{ids})["']|["'](?:{ids})["']\s*[!=]=""")
    roots = [ROOT / "layers", ROOT / "maps"]
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.suffix in (".py", ".js", ".html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_cql_params_are_bound():
    cond, params = to_sql(CATALOG["parcels"], "land_use = 'ODT' AND legal_area_m2 > 5")
    text = cond.as_string(None)
    assert "ODT" not in text and "%(cql0)s" in text and params == {"cql0": "ODT", "cql1": 5}
    with pytest.raises(InvalidInput):
        to_sql(CATALOG["parcels"], "owner = 'x'")


def test_crs_uris():
    assert parse_crs_uri(None).srid == 4326 and not parse_crs_uri(None).lat_first
    assert parse_crs_uri("EPSG:4326").lat_first
    vn = parse_crs_uri("http://www.opengis.net/def/crs/EPSG/0/9210")
    assert vn.srid == 9210 and not vn.lat_first and not vn.geographic
    assert parse_crs_uri("urn:ogc:def:crs:EPSG::4756").lat_first
    with pytest.raises(UnknownCRS):
        parse_crs_uri("EPSG:2154")
