"""Settings of the map services: the project settings plus what only the web app needs."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from gis.settings import Settings


class MapsSettings(Settings):
    """Project settings plus the map services' own (same ``IOC_`` environment prefix)."""

    tile_cache_mb: int = Field(default=256, ge=0, description="Tile cache size; 0 turns it off.")
    pool_min: int = Field(default=2, ge=1)
    pool_max: int = Field(default=10, ge=1)
    #: How long a request waits for a free database connection before a 503 (under load,
    #: requests queue rather than fail).
    pool_wait_s: float = Field(default=30.0, gt=0)
    #: Data directory holding rasters (land cover COG); default: the repository's data/.
    data_dir: str | None = None
    #: Listen for NOTIFY (cache invalidation and /events); off only for special benchmarks.
    listen: bool = True


@lru_cache(maxsize=1)
def get_maps_settings() -> MapsSettings:
    """The process-wide map settings, read from the environment on first use."""
    return MapsSettings()
