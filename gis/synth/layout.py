"""Roads, blocks and lots of one commune in a local rotated frame, as plain numpy arrays.

The frame's u axis runs along the main roads. Roads form a jittered grid (lanes, a few wider
main roads, sometimes a river and an irrigation canal); each block between roads is cut into a
front row (facing the road below) and a back row (facing the road above), and each row into
lots whose width depends on what the block is: narrow house lots in villages, gardens behind
houses, wide fields away from the settlements, a few public, pond and cemetery blocks.
Everything is an axis-aligned rectangle in (u, v), so neighbours share exact coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

# Lot categories (what the rectangle is); the land-use codes are chosen from them later.
ROAD, RIVER, CANAL, RES, GARDEN, FIELD, PUBLIC, POND, CEMETERY = range(9)
#: Categories of private lots that may be merged or split to hit the exact count.
FLEXIBLE = (FIELD, GARDEN, RES)

# Block kinds.
VILLAGE, MIXED, FIELDS, CIVIC, PONDS, GRAVES = range(6)

#: Share of blocks nearest the settlements that are villages / villages with gardens behind.
BLOCK_SHARES = {"phuong": (0.55, 0.17), "xa": (0.17, 0.22), "dac_khu": (0.25, 0.2)}

Inside = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Lots:
    """Rectangles [u0, u1] × [v0, v1] and what they are; roads have ``row == -1``."""

    u0: np.ndarray
    u1: np.ndarray
    v0: np.ndarray
    v1: np.ndarray
    cat: np.ndarray
    block: np.ndarray
    row: np.ndarray
    road: np.ndarray  # index of the horizontal road the lot faces (its own index for roads)
    centre: np.ndarray  # nearest settlement (village / field names in addresses)
    origin: np.ndarray  # index in the layout as built (kept through merges and splits)

    def __len__(self) -> int:
        return len(self.u0)

    def take(self, index: np.ndarray) -> Lots:
        """The lots at ``index`` (an integer or boolean array)."""
        return Lots(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Lots]) -> Lots:
        """All lots of ``parts`` one after another."""
        return Lots(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Lots)}
        )

    def area(self) -> np.ndarray:
        """Area of each rectangle in m²."""
        return (self.u1 - self.u0) * (self.v1 - self.v0)


@dataclass(frozen=True)
class Frame:
    """Rotation by ``theta`` about (cx, cy): TM-3 metres ↔ the local (u, v) frame."""

    cx: float
    cy: float
    theta: float

    def to_xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local (u, v) → TM-3 (x, y)."""
        c, s = np.cos(self.theta), np.sin(self.theta)
        return self.cx + c * u - s * v, self.cy + s * u + c * v

    def to_uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """TM-3 (x, y) → local (u, v)."""
        c, s = np.cos(self.theta), np.sin(self.theta)
        dx, dy = x - self.cx, y - self.cy
        return c * dx + s * dy, -s * dx + c * dy


def _axis(
    lo: float, hi: float, block: float, lane: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Road start positions and widths along one axis covering [lo, hi] (block = mean gap)."""
    n = int((hi - lo) / (0.7 * block)) + 3
    gaps = block * rng.uniform(0.7, 1.3, n)
    widths = lane * rng.uniform(0.8, 1.25, n)
    widths[rng.random(n) < 0.2] *= 2.5  # main roads
    start = lo - rng.uniform(0.2, 1.0) * block
    pos = start + np.concatenate([[0.0], np.cumsum(widths[:-1] + gaps[:-1])])
    m = int(np.searchsorted(pos, hi)) + 1
    return pos[:m], widths[:m]


def _grid(nu: int, nv: int) -> tuple[np.ndarray, np.ndarray]:
    """Column and row index of every cell of an nu × nv grid, row by row."""
    return np.tile(np.arange(nu), nv), np.repeat(np.arange(nv), nu)


def _rects(
    u0: np.ndarray,
    u1: np.ndarray,
    v0: np.ndarray,
    v1: np.ndarray,
    cat: np.ndarray,
    road: np.ndarray,
) -> Lots:
    """Road-like lots (no block, no row)."""
    n = len(u0)
    minus = np.full(n, -1, np.int64)
    return Lots(
        u0, u1, v0, v1, cat.astype(np.int8), minus, minus.copy(), road, minus.copy(), minus.copy()
    )


def _roads(
    pu: np.ndarray, wu: np.ndarray, pv: np.ndarray, wv: np.ndarray, rng: np.random.Generator
) -> tuple[Lots, int, int]:
    """Road, river and canal segments that tile the space between the blocks."""
    mu, mv = len(pu), len(pv)
    river = int(rng.integers(mv // 3, max(mv // 3 + 1, 2 * mv // 3))) if rng.random() < 0.6 else -1
    canal = int(rng.integers(mu // 4, max(mu // 4 + 1, 3 * mu // 4))) if rng.random() < 0.5 else -1
    # Horizontal segments cover the crossings: u in [pu_i, pu_{i+1}], v in [pv_j, pv_j + wv_j].
    i, j = _grid(mu - 1, mv)
    cat_h = np.where(j == river, RIVER, ROAD)
    horiz = _rects(pu[i], pu[i + 1], pv[j], pv[j] + wv[j], cat_h, j)
    # Vertical segments between crossings: u in [pu_i, pu_i + wu_i], v in [pv_j + wv_j, pv_{j+1}].
    i, j = _grid(mu - 1, mv - 1)
    cat_v = np.where(i == canal, CANAL, ROAD)
    vert = _rects(pu[i], pu[i] + wu[i], pv[j] + wv[j], pv[j + 1], cat_v, -2 - i)
    return Lots.concat([horiz, vert]), river, canal


def _block_kinds(
    cu: np.ndarray,
    cv: np.ndarray,
    centres: np.ndarray,
    inside: np.ndarray,
    kind: str,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Kind of each block (villages round the settlements, fields further out) and its centre."""
    d2 = (cu[:, None] - centres[None, :, 0]) ** 2 + (cv[:, None] - centres[None, :, 1]) ** 2
    nearest = np.argmin(d2, axis=1)
    score = np.sqrt(d2[np.arange(len(cu)), nearest]) * rng.uniform(0.75, 1.3, len(cu))
    village, mixed = BLOCK_SHARES.get(kind, BLOCK_SHARES["xa"])
    ref = score[inside] if inside.any() else score
    t1, t2 = np.quantile(ref, [village, village + mixed])
    kinds = np.where(score <= t1, VILLAGE, np.where(score <= t2, MIXED, FIELDS))
    r = rng.random(len(cu))
    kinds[(kinds != FIELDS) & (r < 0.06)] = CIVIC
    kinds[(kinds == FIELDS) & (r < 0.04)] = PONDS
    kinds[(kinds == FIELDS) & (r > 0.985)] = GRAVES
    kinds[(kinds == MIXED) & (r > 0.97)] = PONDS
    return kinds, nearest


def _row_lots(
    lo: np.ndarray,
    hi: np.ndarray,
    count: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each row [lo, hi] into ``count`` lots of jittered width: (row index, u0, u1)."""
    idx = np.repeat(np.arange(len(lo)), count)
    weight = rng.uniform(0.6, 1.4, len(idx))
    total = np.bincount(idx, weight, minlength=len(lo))
    cum = np.cumsum(weight)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    before = np.concatenate([[0.0], cum])[first]
    frac = (cum - before[idx]) / total[idx]
    u1 = lo[idx] + frac * (hi - lo)[idx]
    last = first + count - 1
    u1[last] = hi  # exact end: the next road starts here
    u0 = np.empty_like(u1)
    u0[1:] = u1[:-1]
    u0[first] = lo  # shared edges are the very same numbers
    return idx, u0, u1


def _gardens(
    blk: np.ndarray,
    side: np.ndarray,
    rv0: np.ndarray,
    rv1: np.ndarray,
    rcat: np.ndarray,
    depth: float,
    behind: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut deep house rows: houses ``depth`` deep along the road and a row of ``behind`` lots
    (gardens in the country, houses on an alley in town) behind them."""
    deep = (rcat == RES) & (rv1 - rv0 > 1.6 * depth)
    cut = np.where(side == 0, rv0 + depth, rv1 - depth)  # one number for both rows' shared edge
    front = side == 0
    g0 = np.where(front, cut, rv0)[deep]
    g1 = np.where(front, rv1, cut)[deep]
    h0 = np.where(deep & ~front, cut, rv0)
    h1 = np.where(deep & front, cut, rv1)
    return (
        np.concatenate([blk, blk[deep]]),
        np.concatenate([side, side[deep]]),
        np.concatenate([h0, g0]),
        np.concatenate([h1, g1]),
        np.concatenate([rcat, np.full(int(deep.sum()), behind)]),
    )


def build_lots(
    bounds: tuple[float, float, float, float],
    scale: float,
    kind: str,
    centres: np.ndarray,
    inside: Inside,
    rng: np.random.Generator,
) -> Lots:
    """Every road and lot over ``bounds`` (umin, vmin, umax, vmax) at size factor ``scale``.

    ``centres`` are settlement points (n × 2, in u, v); ``inside(u, v)`` tells which block
    centres fall inside the commune, so the village/field shares apply to the real area.
    """
    umin, vmin, umax, vmax = bounds
    k, root = scale, float(np.sqrt(scale))
    lane = 5.0 * float(np.clip(root, 0.8, 2.0))
    pu, wu = _axis(umin, umax, 190.0 * k, lane, rng)
    pv, wv = _axis(vmin, vmax, 62.0 * k, lane, rng)
    roads, _, _ = _roads(pu, wu, pv, wv, rng)
    # Blocks (i, j): u in [pu_i + wu_i, pu_{i+1}], v in [pv_j + wv_j, pv_{j+1}].
    i, j = _grid(len(pu) - 1, len(pv) - 1)
    bu0, bu1, bv0, bv1 = pu[i] + wu[i], pu[i + 1], pv[j] + wv[j], pv[j + 1]
    cu, cv = (bu0 + bu1) / 2, (bv0 + bv1) / 2
    kinds, nearest = _block_kinds(cu, cv, centres, inside(cu, cv), kind, rng)
    mid = bv0 + (bv1 - bv0) * rng.uniform(0.42, 0.58, len(bv0))
    # Two rows per block: front (faces road j) and back (faces road j + 1).
    nb = len(bu0)
    blk = np.concatenate([np.arange(nb), np.arange(nb)])
    side = np.repeat([0, 1], nb)
    rv0 = np.concatenate([bv0, mid])
    rv1 = np.concatenate([mid, bv1])
    bkind = kinds[blk]
    rcat = np.select(
        [bkind == VILLAGE, (bkind == MIXED) & (side == 0), bkind == MIXED, bkind == FIELDS],
        [RES, RES, GARDEN, FIELD],
        np.select([bkind == CIVIC, bkind == PONDS], [PUBLIC, POND], CEMETERY),
    )
    behind = RES if kind == "phuong" else GARDEN
    blk, side, rv0, rv1, rcat = _gardens(blk, side, rv0, rv1, rcat, 25.0 * root, behind)
    house = (5.5 if kind == "phuong" else 7.5) * root
    width = np.select(
        [rcat == RES, rcat == GARDEN, rcat == FIELD], [house, 15.0 * k, 22.0 * k], 0.0
    )
    length = bu1[blk] - bu0[blk]
    count = np.where(
        width > 0,
        np.maximum(1, np.rint(length / np.where(width > 0, width, 1.0))),
        rng.integers(1, 4, len(blk)),
    ).astype(np.int64)
    ridx, u0, u1 = _row_lots(bu0[blk], bu1[blk], count, rng)
    cat = rcat[ridx].astype(np.int8)
    # A few house rows hold a school, clinic or office: a lot several houses wide.
    civic_rows = np.flatnonzero((rcat == RES) & (count >= 6) & (rng.random(len(rcat)) < 0.05))
    if len(civic_rows):
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        pick = first[civic_rows] + rng.integers(0, count[civic_rows] - 3)
        u1[pick] = u1[pick + 3]
        keep = np.ones(len(u0), bool)
        keep[np.concatenate([pick + 1, pick + 2, pick + 3])] = False
        cat[pick] = PUBLIC
        ridx, u0, u1, cat = ridx[keep], u0[keep], u1[keep], cat[keep]
    lots = Lots(
        u0=u0,
        u1=u1,
        v0=rv0[ridx],
        v1=rv1[ridx],
        cat=cat,
        block=blk[ridx].astype(np.int64),
        row=ridx.astype(np.int64),
        road=(j[blk] + side)[ridx].astype(np.int64),
        centre=nearest[blk][ridx].astype(np.int64),
        origin=ridx.astype(np.int64),
    )
    everything = Lots.concat([roads, lots])
    everything.origin = np.arange(len(everything))
    return everything
