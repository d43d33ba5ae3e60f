"""Fit the lots of a layout to a commune: clip to the boundary and hit the exact count.

Lots wholly inside the commune stay rectangles; lots across the boundary keep their largest
piece when it is a fair share of the lot (slivers are dropped). The size factor is found by a
few rounds of scaling; the last few parcels of difference are made up exactly by merging
neighbouring fields (too many) or halving the largest lots (too few), which keeps every
shared edge exact because it only moves rectangle coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.errors import InvalidInput
from gis.synth.layout import FLEXIBLE, RES, Frame, Lots, build_lots

#: A piece of a lot cut by the boundary is kept when it has at least this share of the lot.
MIN_SHARE = 0.35
#: ... and at least this many m² (no slivers).
MIN_PIECE_M2 = 5.0
_MAX_ROUNDS = 16
#: Fewer parcels than this are cut from a layout of this many (nearest the centroid).
MIN_LAYOUT = 30


@dataclass
class Fitted:
    """The parcels of one commune: their lots (in u, v) and final geometries (TM-3)."""

    lots: Lots
    geoms: np.ndarray


def rect_polygons(lots: Lots, frame: Frame) -> np.ndarray:
    """Each lot's rectangle as a shapely Polygon in TM-3 metres."""
    u = np.stack([lots.u0, lots.u1, lots.u1, lots.u0, lots.u0], axis=1)
    v = np.stack([lots.v0, lots.v0, lots.v1, lots.v1, lots.v0], axis=1)
    x, y = frame.to_xy(u, v)
    return shapely.polygons(np.stack([x, y], axis=-1))


def _largest_parts(pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each (multi)geometry its largest polygon and that polygon's area."""
    parts, idx = shapely.get_parts(pieces, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, idx = parts[poly], idx[poly]
    areas = shapely.area(parts)
    best = np.full(len(pieces), None, dtype=object)
    best_area = np.zeros(len(pieces))
    if len(parts):
        order = np.lexsort((-areas, idx))
        head = order[np.r_[True, idx[order][1:] != idx[order][:-1]]]
        best[idx[head]] = parts[head]
        best_area[idx[head]] = areas[head]
    return best, best_area


def classify(
    lots: Lots, frame: Frame, boundary: BaseGeometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inside, kept boundary lots, their clipped geometries) for every lot."""
    polys = rect_polygons(lots, frame)
    inside = shapely.contains_properly(boundary, polys)
    cross = np.flatnonzero(~inside & shapely.intersects(boundary, polys))
    clipped = np.full(len(lots), None, dtype=object)
    kept = np.zeros(len(lots), bool)
    if len(cross):
        pieces = shapely.intersection(polys[cross], boundary)
        best, area = _largest_parts(pieces)
        ok = (area >= MIN_SHARE * lots.area()[cross]) & (area >= MIN_PIECE_M2)
        valid = np.zeros(len(ok), bool)
        valid[ok] = shapely.is_valid(best[ok])
        ok &= valid
        kept[cross[ok]] = True
        clipped[cross[ok]] = best[ok]
    return inside, kept, clipped


def _estimate(lots: Lots, frame: Frame, boundary: BaseGeometry) -> int:
    """Cheap survivor count: lots whose centre lies inside the commune."""
    x, y = frame.to_xy((lots.u0 + lots.u1) / 2, (lots.v0 + lots.v1) / 2)
    return int(shapely.contains_xy(boundary, x, y).sum())


def _merge_once(
    lots: Lots, ok: np.ndarray, need: int, rng: np.random.Generator
) -> tuple[Lots, np.ndarray, int]:
    """Merge up to ``need`` disjoint pairs of neighbouring lots of one row (fields first)."""
    n = len(lots)
    first = np.r_[True, lots.row[1:] != lots.row[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    even = ((np.arange(n) - start) % 2 == 0)[:-1]
    pair = (
        even
        & (lots.row[:-1] >= 0)
        & (lots.row[:-1] == lots.row[1:])
        & (lots.cat[:-1] == lots.cat[1:])
        & ok[:-1]
        & ok[1:]
    )
    chosen: list[np.ndarray] = [np.zeros(0, np.int64)]
    left = need
    for cat in FLEXIBLE:
        cand = np.flatnonzero(pair & (lots.cat[:-1] == cat))
        take = min(left, len(cand))
        if take:
            chosen.append(np.sort(rng.choice(cand, take, replace=False)))
            left -= take
    pick = np.concatenate(chosen)
    lots = lots.take(np.arange(n))  # a copy: the caller's arrays stay as they were
    lots.u1[pick] = lots.u1[pick + 1]
    keep = np.ones(n, bool)
    keep[pick + 1] = False
    return lots.take(keep), ok[keep], len(pick)


def _merge(lots: Lots, ok: np.ndarray, need: int, rng: np.random.Generator) -> Lots:
    """Merge neighbouring inside lots until ``need`` fewer remain, or no pair is left."""
    while need > 0:
        lots, ok, done = _merge_once(lots, ok, need, rng)
        if not done:
            break
        need -= done
    return lots


def _split(lots: Lots, ok: np.ndarray, need: int) -> Lots | None:
    """Halve the largest inside lots (across their longer side) until ``need`` more exist."""
    ok = ok.copy()
    while need > 0:
        cand = np.flatnonzero(ok & (lots.row >= 0))
        if not len(cand):
            return None
        pick = cand[np.argsort(-lots.area()[cand], kind="stable")[:need]]
        across = (lots.u1 - lots.u0 >= lots.v1 - lots.v0)[pick] | (lots.cat[pick] == RES)
        second = lots.take(pick)
        lots = lots.take(np.arange(len(lots)))
        mid_u = (second.u0 + second.u1) / 2
        mid_v = (second.v0 + second.v1) / 2
        second.u0 = np.where(across, mid_u, second.u0)
        lots.u1[pick] = np.where(across, mid_u, lots.u1[pick])
        second.v0 = np.where(across, second.v0, mid_v)
        lots.v1[pick] = np.where(across, lots.v1[pick], mid_v)
        lots = Lots.concat([lots, second])
        ok = np.concatenate([ok, np.ones(len(pick), bool)])
        need -= len(pick)
    return lots


def fit_commune(
    boundary: BaseGeometry,
    count: int,
    kind: str,
    seed: tuple[int, ...],
) -> tuple[Fitted, Frame]:
    """Lay out exactly ``count`` parcels inside ``boundary`` (TM-3 metres), deterministically."""
    if count < 1:
        raise InvalidInput("the number of parcels must be at least 1")
    shapely.prepare(boundary)
    rng = np.random.default_rng(seed)
    c = shapely.centroid(boundary)
    frame = Frame(c.x, c.y, float(rng.uniform(0, np.pi / 2)))
    xmin, ymin, xmax, ymax = boundary.bounds
    corners = frame.to_uv(np.array([xmin, xmax, xmax, xmin]), np.array([ymin, ymin, ymax, ymax]))
    bounds = (corners[0].min(), corners[1].min(), corners[0].max(), corners[1].max())
    centres = _settlements(boundary, frame, rng)

    def inside(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return shapely.contains_xy(boundary, *frame.to_xy(u, v))

    wanted, count = count, max(count, MIN_LAYOUT)  # tiny counts: a hamlet cut from a layout
    # Mean parcel area at scale 1 (m²), from trial runs: house lots dominate in wards.
    scale = float(np.sqrt(boundary.area / count / (200.0 if kind == "phuong" else 450.0)))
    layout_seed = rng.integers(2**63)
    many: tuple[float, int] | None = None  # a scale giving too many parcels
    few: tuple[float, int] | None = None  # ... and too few
    for round_ in range(_MAX_ROUNDS):
        lots = build_lots(bounds, scale, kind, centres, inside, np.random.default_rng(layout_seed))
        estimate = max(_estimate(lots, frame, boundary), 1)
        # Sparse counts make the layout coarse and the count jumpy: after a few rounds any
        # layout will do, merged/trimmed or split to the exact count.
        near = 0.55 * count - 2 <= estimate <= max(1.15 * count + 2, count + 20)
        if near or round_ >= 4:
            inside_, kept, clipped = classify(lots, frame, boundary)
            have = int(inside_.sum() + kept.sum())
            adjusted = _adjust(lots, inside_, have - count, rng)
            if adjusted is not None:
                return _finish(adjusted, inside_, kept, clipped, frame, wanted), frame
            estimate = max(have, 1)
        if estimate > count:
            many = (scale, estimate)
        else:
            few = (scale, estimate)
        scale = _next_scale(scale, estimate, count, many, few)
    raise InvalidInput(f"could not lay out {wanted} parcels in this commune; try another count")


def _next_scale(
    scale: float,
    estimate: int,
    count: int,
    many: tuple[float, int] | None,
    few: tuple[float, int] | None,
) -> float:
    """The next size factor: interpolate (log-log) inside a bracket, else count ∝ scale⁻²."""
    if many is None or few is None or many[1] == few[1]:
        return scale * float(np.sqrt(estimate / count))
    t = np.log(many[1] / count) / np.log(many[1] / few[1])
    return float(np.exp(np.log(many[0]) + t * (np.log(few[0]) - np.log(many[0]))))


def _adjust(lots: Lots, inside: np.ndarray, excess: int, rng: np.random.Generator) -> Lots | None:
    """Merge or split inside lots so that exactly ``excess`` fewer parcels survive."""
    if excess > 0:
        return _merge(lots, inside, excess, rng)
    if excess < 0:
        return _split(lots, inside, -excess)
    return lots


def _finish(
    lots: Lots, inside: np.ndarray, kept: np.ndarray, clipped: np.ndarray, frame: Frame, count: int
) -> Fitted:
    """Drop lots outside, rebuild inside rectangles, reuse clipped pieces of boundary lots.

    For very small counts (below ``MIN_LAYOUT``, or when merging could not get down far
    enough), only the ``count`` lots nearest the commune's centroid are kept: a hamlet
    rather than the whole commune.
    """
    lots = lots.take(inside[lots.origin] | kept[lots.origin])
    if len(lots) > count:
        u, v = (lots.u0 + lots.u1) / 2, (lots.v0 + lots.v1) / 2
        lots = lots.take(np.sort(np.argsort(u**2 + v**2, kind="stable")[:count]))
    geoms = rect_polygons(lots, frame)
    edge = kept[lots.origin]
    geoms[edge] = clipped[lots.origin[edge]]
    return Fitted(lots, geoms)


def _settlements(boundary: BaseGeometry, frame: Frame, rng: np.random.Generator) -> np.ndarray:
    """Settlement centres: random points inside the commune, about one per 2.5 km² (u, v)."""
    n = int(np.clip(round(boundary.area / 2.5e6), 1, 40))
    xmin, ymin, xmax, ymax = boundary.bounds
    found: list[np.ndarray] = []
    for _ in range(50):
        x = rng.uniform(xmin, xmax, 64 * n)
        y = rng.uniform(ymin, ymax, 64 * n)
        ok = shapely.contains_xy(boundary, x, y)
        found.append(np.stack([x[ok], y[ok]], axis=1))
        if sum(len(f) for f in found) >= n:
            break
    pts = np.concatenate(found)[:n]
    if not len(pts):
        p = shapely.point_on_surface(boundary)
        pts = np.array([[p.x, p.y]])
    u, v = frame.to_uv(pts[:, 0], pts[:, 1])
    return np.stack([u, v], axis=1)
