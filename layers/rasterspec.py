"""How a raster layer of the catalog is read, coloured and queried: its one declaration.

A raster layer (``Layer.raster``) names where its pixels come from (a file under the data
directory, or a surface the app computes), its classes with both names and colours, how tiles
are resampled, what a point query answers and which zonal statistic it has. The tile, point and
zonal code reads only this, never a layer id; the legend rows come from the same classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from layers.styles import AQI_CATEGORIES, LegendEntry, rgb_hex

#: The repository's data directory (settings may point rasters at another one).
REPO_DATA = Path(__file__).resolve().parent.parent / "data"

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class RasterClass:
    """One class of a raster: the pixel value (coded classes) or upper bound (intervals)."""

    value: float
    name_vi: str
    name_en: str
    color: str
    #: The legend value (and point-query key) of the class: its code, or a category name.
    key: str

    def rgba(self) -> RGBA:
        """The class colour as an opaque RGBA tuple (rio-tiler colormaps)."""
        h = self.color.lstrip("#")
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 255)


@dataclass(frozen=True)
class RasterSpec:
    """The raster half of a catalog layer (see the module docstring)."""

    #: ``file``: a GeoTIFF at :attr:`path` (relative to the data directory); ``computed``: a
    #: surface built by the builder named :attr:`builder` (``layers.surface.BUILDERS``) and
    #: dropped when one of the layer's change sources reports a change.
    source: Literal["file", "computed"]
    classes: tuple[RasterClass, ...]
    #: ``classes``: each pixel value is a class code; ``intervals``: classes are upper bounds.
    colormap: Literal["classes", "intervals"]
    resampling: Literal["nearest", "bilinear"]
    #: What ``/raster/{layer}/point`` adds to the value: the ``class`` or the ``category``.
    point: Literal["class", "category"]
    #: The zonal statistic of ``/stats/{layer}/...``: class areas or mean/min/max.
    zonal: Literal["class_areas", "mean"]
    path: str = ""
    builder: str = ""

    def file(self, data_dir: str | Path | None = None) -> Path:
        """Where a file-backed raster is (``data_dir`` or the repository's data directory)."""
        return Path(data_dir or REPO_DATA) / self.path

    def colormap_for_tiles(self) -> dict[int, RGBA] | list[tuple[tuple[float, float], RGBA]]:
        """The rio-tiler colormap: value → colour, or (low, high) intervals → colour."""
        if self.colormap == "classes":
            return {int(c.value): c.rgba() for c in self.classes}
        out, low = [], 0.0
        for c in self.classes:
            # Values are rounded to whole index points: x.5 belongs to the next class.
            out.append(((low, c.value + 0.5), c.rgba()))
            low = c.value + 0.5
        # The last class is open-ended (an index above the scale's top keeps its colour).
        out[-1] = ((out[-1][0][0], 100_000.0), out[-1][1])
        return out

    def class_of(self, value: float) -> RasterClass | None:
        """The class holding ``value`` (exact code, or first interval reaching it)."""
        if self.colormap == "classes":
            return next((c for c in self.classes if int(c.value) == int(value)), None)
        return next((c for c in self.classes if round(value) <= c.value), None)

    def legend(self) -> tuple[LegendEntry, ...]:
        """Legend rows of the classes (the layer's paint uses them)."""
        return tuple(LegendEntry(c.key, c.name_vi, c.name_en, c.color) for c in self.classes)


def aqi_classes() -> tuple[RasterClass, ...]:
    """The VN_AQI categories as interval classes (upper bound, names, colour, legend key)."""
    return tuple(
        RasterClass(high, vi, en, rgb_hex(rgb), en.lower().replace(" ", "_"))
        for high, vi, en, rgb in AQI_CATEGORIES
    )
