"""Prometheus metrics of the map services (one registry per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The app's metrics: tile latency per layer and zoom, cache hits, request errors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.tile_seconds = Histogram(
            "iocgis_tile_seconds",
            "Time to serve a vector tile",
            ["layer", "zoom", "cache"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.cache_requests = Counter(
            "iocgis_tile_cache_requests",
            "Tile cache look-ups",
            ["result"],
            registry=self.registry,
        )
        self.cache_hit_ratio = Gauge(
            "iocgis_tile_cache_hit_ratio",
            "Share of tile requests served from the cache",
            registry=self.registry,
        )
        self.cache_bytes = Gauge(
            "iocgis_tile_cache_bytes", "Bytes held by the tile cache", registry=self.registry
        )
        self.tiles_invalidated = Counter(
            "iocgis_tiles_invalidated",
            "Cached tiles dropped because their data changed",
            registry=self.registry,
        )
        self.ingest_lag = Gauge(
            "iocgis_ingest_lag_seconds",
            "Seconds between the newest reading's observation time and its arrival",
            registry=self.registry,
        )
        self.features_seconds = Histogram(
            "iocgis_features_seconds",
            "Time to serve an OGC API items page",
            ["collection"],
            registry=self.registry,
        )
