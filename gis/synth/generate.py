"""Generate synthetic parcels for communes or a whole province and write them to a GeoPackage.

Each commune is laid out on its own (its random stream depends only on the seed and its code,
so adding communes to a run does not change the others) and written as soon as it is ready,
so memory stays at a few chunks whatever the total. A file holds one layer per TM-3 zone:
``parcels`` when all communes share a zone, else ``parcels_<srid>`` (the importer's ``--crs``
is per file/layer, and a merged province can span several zones).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gis.errors import InvalidInput
from gis.synth.fit import fit_commune
from gis.synth.source import CommuneShape, load_communes
from gis.synth.table import parcel_frame

#: Rows gathered before one write to the file.
CHUNK_ROWS = 100_000
#: Fewest parcels per commune: a commune that would get fewer is left out.
MIN_PER_COMMUNE = 1


@dataclass(frozen=True)
class SynthLayer:
    """One layer of the generated file: its name, TM-3 zone and number of parcels."""

    name: str
    srid: int
    count: int
    communes: tuple[str, ...]

    @property
    def crs(self) -> str:
        """The ``--crs`` to import this layer with."""
        return f"EPSG:{self.srid}"


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`synth_parcels` wrote."""

    path: Path
    layers: tuple[SynthLayer, ...]
    count: int
    seconds: float


def allocate(total: int, weights: Sequence[float]) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    if total < 0 or not len(w) or w.sum() <= 0:
        raise InvalidInput("cannot share parcels over an empty area")
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - int(base.sum())
    base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return base


def _write(path: Path, layer: str, frames: list[gpd.GeoDataFrame], append: bool) -> None:
    """Write ``frames`` as one chunk of ``layer`` (creating or appending)."""
    chunk = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    pyogrio.write_dataframe(
        chunk,
        path,
        layer=layer,
        driver="GPKG",
        append=append,
        promote_to_multi=True,
        use_arrow=True,
        # GeoPackage 1.2 so that older GDAL (ogr2ogr 3.6 of Debian 12) reads it without warnings.
        dataset_options=None if append else {"VERSION": "1.2"},
    )


def synth_parcels(
    out: str | Path,
    count: int,
    *,
    communes: Sequence[str] = (),
    province: str | None = None,
    seed: int = 0,
    url: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SynthSummary:
    """Write ``count`` synthetic parcels over the communes (shared by area) to GeoPackage ``out``.

    ``out`` is replaced when the run succeeds. The same arguments give the same file.
    """
    path = Path(out)
    if path.suffix.lower() != ".gpkg":
        raise InvalidInput(f"the output must be a GeoPackage (.gpkg): {path.name}")
    if count < 1:
        raise InvalidInput("--count must be at least 1")
    started = time.perf_counter()
    shapes = load_communes(communes, province, url)
    shares = allocate(count, [s.area_m2 for s in shapes])
    zones = sorted({s.srid for s, n in zip(shapes, shares, strict=True) if n > 0})
    names = {z: "parcels" if len(zones) == 1 else f"parcels_{z}" for z in zones}
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside ``out`` and renamed at the end: a failed run leaves an old file intact.
    partial = path.with_name(f".{path.stem}.partial.gpkg")
    partial.unlink(missing_ok=True)
    pending: dict[int, list[gpd.GeoDataFrame]] = {z: [] for z in zones}
    written: dict[int, int] = dict.fromkeys(zones, 0)
    members: dict[int, list[str]] = {z: [] for z in zones}
    try:
        for shape, n in zip(shapes, shares, strict=True):
            if n < MIN_PER_COMMUNE:
                continue
            frame = commune_parcels(shape, int(n), seed)
            pending[shape.srid].append(frame)
            members[shape.srid].append(shape.code)
            if sum(len(f) for f in pending[shape.srid]) >= CHUNK_ROWS:
                _flush(partial, names, pending, written, shape.srid)
            if progress is not None:
                progress(len(frame))
        for zone in zones:
            _flush(partial, names, pending, written, zone)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    layers = tuple(
        SynthLayer(names[z], z, written[z], tuple(members[z])) for z in zones if written[z]
    )
    return SynthSummary(path, layers, sum(written.values()), time.perf_counter() - started)


def _flush(
    path: Path,
    names: dict[int, str],
    pending: dict[int, list[gpd.GeoDataFrame]],
    written: dict[int, int],
    zone: int,
) -> None:
    """Write the pending frames of ``zone`` and forget them."""
    frames = pending[zone]
    if frames:
        _write(path, names[zone], frames, append=written[zone] > 0)
        written[zone] += sum(len(f) for f in frames)
        pending[zone] = []


def commune_parcels(shape: CommuneShape, count: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Exactly ``count`` synthetic parcels of one commune, deterministic for ``seed``."""
    fitted, _ = fit_commune(shape.boundary, count, shape.kind, (seed, int(shape.code)))
    return parcel_frame(fitted, shape, np.random.default_rng((seed, int(shape.code), 1)))
