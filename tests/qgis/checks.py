"""QGIS 3.22 as a land official uses it, against a live ioc-gis: one application, JSON out.

Run by tests/test_qgis_desktop.py with Debian's ``/usr/bin/python3`` (PyQGIS is installed for
the system Python, not the project's venv) and ``QT_QPA_PLATFORM=offscreen``. Reads its input
(JSON) on stdin, prints one JSON object on stdout's last line: what QGIS saw, nothing judged
here (the test module asserts).
"""

from __future__ import annotations

import copy
import faulthandler
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from qgis.core import (  # type: ignore[import-not-found]
    Qgis,
    QgsApplication,
    QgsCoordinateTransform,
    QgsLayerDefinition,
    QgsMapBoxGlStyleConverter,
    QgsNetworkAccessManager,
    QgsProject,
    QgsProviderRegistry,
    QgsRectangle,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QUrl  # type: ignore[import-not-found]
from qgislib import (  # type: ignore[import-not-found]  # beside this script
    WEB,
    WGS84,
    Requests,
    basic_config,
    download,
    interior_points,
    oapif,
    read_layer,
    render,
    samples,
)


def main() -> None:
    """Run every check; print the JSON result (with the error, if one stopped the run)."""
    faulthandler.enable()  # a crash inside QGIS shows where (stderr)
    args = json.loads(sys.stdin.read())
    profile = Path(args["profile"])
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = str(profile / "auth")
    (profile / "auth").mkdir(parents=True, exist_ok=True)
    app = QgsApplication([], False, str(profile))
    app.initQgis()
    result: dict[str, Any] = {}
    try:
        checks(args, result)
    except Exception:  # reported, not hidden: the test module fails on "error"
        result["error"] = traceback.format_exc()
    print(json.dumps(result, default=str), flush=True)
    QgsProject.instance().clear()
    # Skip Qt's teardown: destroying QGIS's singletons at exit can crash after the report.
    os._exit(0)


def checks(args: dict[str, Any], result: dict[str, Any]) -> None:
    """Every check, filling ``result``."""
    base, out = args["base"], Path(args["out"])
    profile = Path(args["profile"])
    result["qgis"] = Qgis.version()
    nam = QgsNetworkAccessManager.instance()
    nam.cache().setCacheDirectory(str(profile / "netcache"))  # QGIS's own disk cache
    result["providers"] = QgsProviderRegistry.instance().providerList()
    requests = Requests()
    authcfg = basic_config(args["user"], args["key"])

    # Cache control: an answer the server lets clients keep does land in QGIS's disk cache.
    probe = f"{base}/layers/parcels/legend.json"
    download(probe)
    result["cache_control_stored"] = nam.cache().metaData(QUrl(probe)).isValid()

    # 1, 2, 7: anonymous, then signed in with Basic, then anonymous again, one shared cache.
    anon = oapif(base, "parcels")
    result["anonymous"] = read_layer(anon, requests, "land_users_text")
    land = oapif(base, "parcels", authcfg)
    result["land"] = read_layer(land, requests, "land_users_text")
    again = oapif(base, "parcels")
    result["anonymous_again"] = read_layer(again, requests, "land_users_text")
    items_url = result["anonymous"]["item_urls"][0] if result["anonymous"]["item_urls"] else ""
    result["items_cached"] = bool(items_url) and nam.cache().metaData(QUrl(items_url)).isValid()

    # 5: the extent QGIS zooms to (from the collection document, before any feature).
    fresh = oapif(base, "parcels")
    e = fresh.extent()
    result["extent"] = [e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()]

    # 3: a date filter as a user types it.
    dated = oapif(base, "parcels")
    dated.setSubsetString("\"valid_from\" <= '2030-01-01'")
    result["datetime"] = read_layer(dated, requests)
    result["datetime"]["datetime_urls"] = requests.since(0, "datetime=")[:5]

    # 6: vector tiles drawn with our MapLibre style through QGIS's converter, and the same
    # style with bare string labels (the form QGIS reads as empty) as the control.
    points = interior_points(anon)
    extent = QgsCoordinateTransform(WGS84, WEB, QgsProject.instance()).transformBoundingBox(
        anon.extent()
    )
    extent.scale(1.05)
    status, body = download(f"{base}/layers/parcels/style.json")
    style = json.loads(body)
    tiles_url = f"{base}/tiles/parcels/{{z}}/{{x}}/{{y}}.mvt"
    drawn = {}
    for form in ("label_arrays", "bare_labels"):
        doc = copy.deepcopy(style)
        if form == "bare_labels":
            paint = doc["layers"][0]["paint"]
            expr = paint["fill-color"]
            paint["fill-color"] = [
                x[0] if isinstance(x, list) and len(x) == 1 and i > 1 and i % 2 == 0 else x
                for i, x in enumerate(expr)
            ]
        vt = QgsVectorTileLayer(f"type=xyz&url={tiles_url}&zmin=14&zmax=22", f"vt-{form}")
        converter = QgsMapBoxGlStyleConverter()
        converter.convert(doc)
        vt.setRenderer(converter.renderer())
        image, settings = render([vt], extent, WEB, out / f"qgis-vectortiles-{form}.png")
        drawn[form] = {
            "valid": vt.isValid(),
            "samples": samples(image, settings, points),
            "warnings": converter.warnings()[:5],
        }
    result["vector_tiles"] = drawn
    result["style_status"] = status

    # 6: the QGIS style file (.qml) on the OAPIF layer: colours, then labels.
    qml_path = profile / "parcels.qml"
    status, body = download(f"{base}/qgis/parcels.qml")
    qml_path.write_bytes(body)
    styled = oapif(base, "parcels")
    message, loaded = styled.loadNamedStyle(str(qml_path))
    styled.setLabelsEnabled(False)
    image, settings = render([styled], extent, WEB)
    result["qml"] = {
        "status": status,
        "loaded": bool(loaded),
        "message": message,
        "renderer": styled.renderer().type(),
        "samples": samples(image, settings, points),
    }
    styled.setLabelsEnabled(True)
    result["qml"]["labels"] = styled.labelsEnabled() and styled.labeling() is not None
    if result["qml"]["labels"]:
        result["qml"]["label_expression"] = styled.labeling().settings().fieldName
    close = QgsRectangle(extent.center().x() - 150, extent.center().y() - 150,
                         extent.center().x() + 150, extent.center().y() + 150)  # fmt: skip
    render([styled], close, WEB, out / "qgis-parcels-labels.png")
    render([styled], extent, WEB, out / "qgis-parcels.png")

    # A layer definition (.qlr): one click, the layer with its style and the Basic config.
    qlr_path = profile / "parcels.qlr"
    status, body = download(f"{base}/qgis/parcels.qlr?authcfg={authcfg}")
    qlr_path.write_bytes(body)
    added = QgsLayerDefinition.loadLayerDefinitionLayers(str(qlr_path))
    result["qlr"] = {
        "status": status,
        "layers": [(lyr.isValid(), lyr.renderer().type(), [f.name() for f in lyr.fields()])
                   for lyr in added],
    }  # fmt: skip

    # The province's project file: every layer valid, the VN-2000 zone as project CRS.
    project_path = profile / "iocgis-01.qgs"
    status, body = download(f"{base}/qgis/project.qgs?province=01&authcfg={authcfg}")
    project_path.write_bytes(body)
    project = QgsProject.instance()
    read = project.read(str(project_path))
    layers = list(project.mapLayers().values())
    result["project"] = {
        "status": status,
        "read": bool(read),
        "crs": project.crs().authid(),
        "layers": {layer.name(): layer.isValid() for layer in layers},
        "providers": sorted({layer.providerType() for layer in layers}),
    }
    parcels = next((lyr for lyr in layers if lyr.id() == "iocgis_parcels"), None)
    if parcels is not None:
        result["project"]["parcels_fields"] = [f.name() for f in parcels.fields()]
        to_project = QgsCoordinateTransform(WGS84, project.crs(), project)
        box = to_project.transformBoundingBox(anon.extent())
        box.scale(6.0)  # the parcels among the planning zones and commune boundaries
        visible = [lyr for lyr in project.layerTreeRoot().checkedLayers()]
        render(visible, box, project.crs(), out / "qgis-project.png")


if __name__ == "__main__":
    main()
