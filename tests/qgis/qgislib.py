"""Helpers of tests/qgis/checks.py: QGIS's network log, downloads, layers, rendering."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from qgis.core import (  # type: ignore[import-not-found]
    QgsApplication,
    QgsAuthMethodConfig,
    QgsBlockingNetworkRequest,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsNetworkAccessManager,
    QgsNetworkRequestParameters,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QSize, QUrl  # type: ignore[import-not-found]
from qgis.PyQt.QtGui import QColor  # type: ignore[import-not-found]
from qgis.PyQt.QtNetwork import QNetworkRequest  # type: ignore[import-not-found]

WEB = QgsCoordinateReferenceSystem("EPSG:3857")
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
SIZE = 800


class Requests:
    """Every URL QGIS's network manager asks for (what QGIS really sends)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        signal = QgsNetworkAccessManager.instance().requestAboutToBeCreated
        signal[QgsNetworkRequestParameters].connect(self._seen)  # not the deprecated overload

    def _seen(self, params: Any) -> None:
        self.urls.append(params.request().url().toString())

    def mark(self) -> int:
        """Where the log stands now."""
        QCoreApplication.processEvents()
        return len(self.urls)

    def since(self, mark: int, part: str) -> list[str]:
        """URLs asked for since ``mark`` containing ``part``."""
        # Requests of the providers' download threads reach this (main-thread) manager as
        # queued signals: deliver them first.
        QCoreApplication.processEvents()
        return [u for u in self.urls[mark:] if part in u]


def download(url: str, authcfg: str = "") -> tuple[int, bytes]:
    """GET through QGIS's network manager (its cache, its authentication)."""
    request = QgsBlockingNetworkRequest()
    if authcfg:
        request.setAuthCfg(authcfg)
    request.get(QNetworkRequest(QUrl(url)), forceRefresh=False)
    reply = request.reply()
    status = reply.attribute(QNetworkRequest.HttpStatusCodeAttribute)
    return int(status or 0), bytes(reply.content())


def basic_config(user: str, key: str) -> str:
    """A QGIS "Basic" authentication configuration (as Authentication → Basic makes one)."""
    manager = QgsApplication.authManager()
    manager.setMasterPassword("iocgis-test-master", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("ioc-gis")
    config.setConfig("username", user)
    config.setConfig("password", key)
    config.setId("iocgis1")  # the id the project file's ?authcfg= names
    ok = manager.storeAuthenticationConfig(config)
    if not ok[0] if isinstance(ok, tuple) else not ok:
        raise RuntimeError("could not store the Basic configuration")
    return str(config.id())


def oapif(base: str, name: str, authcfg: str = "") -> QgsVectorLayer:
    """Our collection ``name`` as QGIS's OAPIF provider loads it."""
    uri = f"url='{base}' typename='{name}'" + (f" authcfg='{authcfg}'" if authcfg else "")
    return QgsVectorLayer(uri, name, "OAPIF")


def read_layer(
    layer: QgsVectorLayer, requests: Requests, field: str | None = None
) -> dict[str, Any]:
    """Load every feature; what QGIS shows and how many requests/seconds it took."""
    mark = requests.mark()
    t0 = time.perf_counter()
    values: list[Any] = []
    count = 0
    for feature in layer.getFeatures():
        count += 1
        if field and layer.fields().indexOf(field) >= 0:
            values.append(feature[field])
    seconds = time.perf_counter() - t0
    items = requests.since(mark, "/items")
    return {
        "valid": layer.isValid(),
        "count": count,
        "fields": [f.name() for f in layer.fields()],
        "values": [v for v in values if v not in (None, "") and str(v) != "NULL"],
        "item_requests": len(items),
        "item_urls": items[:5],
        "seconds": seconds,
    }


def render(layers: list[Any], extent: QgsRectangle, crs: Any, path: Path | None = None) -> Any:
    """Render ``layers`` over ``extent`` (in ``crs``) on white; save a PNG when ``path``."""
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(extent)
    settings.setTransformContext(QgsProject.instance().transformContext())
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(path), "PNG")
    return image, settings


def samples(
    image: Any, settings: Any, points: list[tuple[float, float, str]]
) -> list[dict[str, Any]]:
    """The rendered colour at each (lon, lat) point, with the land-use code expected there."""
    to_map = QgsCoordinateTransform(WGS84, settings.destinationCrs(), QgsProject.instance())
    out = []
    for lon, lat, code in points:
        p = to_map.transform(QgsPointXY(lon, lat))
        px = settings.mapToPixel().transform(p)
        colour = QColor(image.pixel(int(px.x()), int(px.y())))
        out.append({"code": code, "rgb": [colour.red(), colour.green(), colour.blue()]})
    return out


def interior_points(layer: QgsVectorLayer, limit: int = 12) -> list[tuple[float, float, str]]:
    """A point inside each of a few parcels, one per land-use code where possible."""
    seen: dict[str, tuple[float, float, str]] = {}
    for feature in layer.getFeatures(QgsFeatureRequest()):
        code = feature["land_use"]
        if code in seen:
            continue
        p = feature.geometry().pointOnSurface().asPoint()
        seen[code] = (p.x(), p.y(), code)
        if len(seen) >= limit:
            break
    return list(seen.values())
