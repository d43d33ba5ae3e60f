"""Attributes of synthetic parcels: land use, addresses, certificates and fake land users.

Everything personal is obviously synthetic: names end in "(giả lập)" ("simulated"), ID numbers
start with "SYN" (a real citizen ID is 12 digits), certificate numbers start with "SYN".
A person's name and ID depend only on the commune and the person's number, so the same ID
always names the same person, whatever the seed.
"""

from __future__ import annotations

import numpy as np

from gis.synth.layout import CANAL, CEMETERY, FIELD, GARDEN, POND, PUBLIC, RES, RIVER, ROAD, Lots
from gis.synth.source import CommuneShape

#: Land use of the fixed categories (official codes of Circular 08/2024, vn-standards §5).
FIXED_CODES = {ROAD: "DGT", RIVER: "SON", CANAL: "DTL", POND: "MNC", CEMETERY: "NTD"}
#: Crops of field blocks, with weights (rural communes, then urban wards).
CROPS = ("LUC", "HNK", "CLN", "NTS", "LUK")
CROP_WEIGHTS = {"xa": (0.55, 0.18, 0.1, 0.1, 0.07), "phuong": (0.25, 0.35, 0.25, 0.1, 0.05)}
#: Public parcels: education, health, offices, sport, market, culture, pagoda, shrine.
PUBLIC_CODES = ("DGD", "DYT", "TSC", "DTT", "DCH", "DVH", "TON", "TIN")
PUBLIC_WEIGHTS = (0.25, 0.12, 0.15, 0.12, 0.1, 0.08, 0.1, 0.08)
#: Share of house lots registered with a garden part (``ONT:200;CLN:150.5``).
MULTI_SHARE = 0.06
#: Residential quota (hạn mức đất ở) choices for multi-purpose lots, m².
QUOTAS = (100.0, 150.0, 200.0, 300.0)

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý")  # fmt: skip
MALE = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam", "Phong",
        "Quân", "Sơn", "Thắng", "Tuấn", "Việt")  # fmt: skip
FEMALE = ("Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai",
          "Ngọc", "Phương", "Thảo", "Trang", "Yến")  # fmt: skip
SYNTHETIC = "(giả lập)"

TERM_LONG = "Lâu dài"
TERM_FARM = ("Đến ngày 15/10/2043", "Đến ngày 01/07/2064")
ORIGIN_HOUSE = (
    "Công nhận QSDĐ như giao đất có thu tiền sử dụng đất",
    "Nhà nước giao đất có thu tiền sử dụng đất",
    "Nhận chuyển nhượng đất được công nhận QSDĐ",
)
ORIGIN_FARM = "Nhà nước giao đất không thu tiền sử dụng đất"


def _num(value: float) -> str:
    """An area as the file contract writes it: 1 decimal, no trailing ``.0``."""
    return f"{value:.1f}".removesuffix(".0")


def stable_hash(values: np.ndarray, salt: int) -> np.ndarray:
    """A cheap deterministic integer hash (splitmix-like) of non-negative integers."""
    h = (values.astype(np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    return h ^ (h >> np.uint64(29))


def person_names(code: str, person: np.ndarray) -> list[str]:
    """Synthetic full names of persons ``person`` of commune ``code``; even = head, odd = spouse."""
    h = stable_hash(person, int(code))
    head_male = stable_hash(person // 2, int(code) + 7) % np.uint64(4) != np.uint64(0)
    male = head_male ^ (person % 2 == 1)
    fam = (h % np.uint64(len(FAMILY))).astype(int)
    given = ((h >> np.uint64(11)) % np.uint64(16)).astype(int)
    return [
        f"{FAMILY[f]} {'Văn' if m else 'Thị'} {(MALE if m else FEMALE)[g]} {SYNTHETIC}"
        for f, m, g in zip(fam, male, given, strict=True)
    ]


def land_use_field(lots: Lots, area: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The ``land_use`` field: one code, or ``CODE:AREA;CODE:AREA`` for multi-purpose lots."""
    n = len(lots)
    house = "ODT" if kind == "phuong" else "ONT"
    weights = CROP_WEIGHTS.get(kind, CROP_WEIGHTS["xa"])
    nblock = int(lots.block.max()) + 2 if n else 1
    block_crop = rng.choice(len(CROPS), nblock, p=weights)
    lot_crop = np.where(
        rng.random(n) < 0.08, rng.choice(len(CROPS), n, p=weights), block_crop[lots.block]
    )
    garden = np.where(rng.random(nblock) < 0.7, "CLN", "HNK")[lots.block]
    public = rng.choice(len(PUBLIC_CODES), n, p=PUBLIC_WEIGHTS)
    codes = np.full(n, house, dtype=object)
    codes[lots.cat == GARDEN] = garden[lots.cat == GARDEN]
    is_field = lots.cat == FIELD
    codes[is_field] = np.array(CROPS, dtype=object)[lot_crop[is_field]]
    is_public = lots.cat == PUBLIC
    codes[is_public] = np.array(PUBLIC_CODES, dtype=object)[public[is_public]]
    for cat, code in FIXED_CODES.items():
        codes[lots.cat == cat] = code
    quota = np.array(QUOTAS)[rng.integers(0, len(QUOTAS), n)]
    multi = np.flatnonzero(
        (lots.cat == RES) & (rng.random(n) < MULTI_SHARE) & (area >= quota + 30.0)
    )
    for i in multi:
        codes[i] = f"{house}:{_num(quota[i])};CLN:{_num(round(area[i] - quota[i], 1))}"
    return codes


def households(lots: Lots, rng: np.random.Generator) -> np.ndarray:
    """Household of each lot (-1 for none): one per house lot; gardens go with the house in
    front of them, fields to random households of the commune."""
    n = len(lots)
    owner = np.full(n, -1, np.int64)
    house = np.flatnonzero(lots.cat == RES)
    owner[house] = np.arange(len(house))
    span = float(lots.u1.max() - lots.u0.min() + 1.0) if n else 1.0
    base = lots.u0.min() if n else 0.0
    key = lots.block * span + (lots.u0 - base)
    order = house[np.argsort(key[house], kind="stable")]
    garden = np.flatnonzero(lots.cat == GARDEN)
    mid = lots.block[garden] * span + ((lots.u0 + lots.u1)[garden] / 2 - base)
    homes = max(len(house), 1)
    anyone = rng.integers(0, homes, len(garden))
    if len(order):
        pos = np.searchsorted(key[order], mid, side="right") - 1
        hit = order[np.clip(pos, 0, None)]
        same = (pos >= 0) & (lots.block[hit] == lots.block[garden])
        owner[garden] = np.where(same, owner[hit], anyone)
    else:
        owner[garden] = anyone
    fields = np.flatnonzero(lots.cat == FIELD)
    owner[fields] = rng.integers(0, homes, len(fields))
    return owner


def addresses(lots: Lots, c: CommuneShape) -> tuple[np.ndarray, np.ndarray]:
    """Parcel address of every lot, and the house number of house lots."""
    n = len(lots)
    place = f"{c.full_name}, {c.province_name}"
    hamlet = "Tổ dân phố" if c.kind == "phuong" else "Thôn"
    order = np.lexsort((lots.u0, lots.road))
    first = np.r_[True, lots.road[order][1:] != lots.road[order][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    number = np.empty(n, np.int64)
    number[order] = np.arange(n) - start + 1
    out = np.empty(n, dtype=object)
    for i in range(n):
        cat, road, centre = lots.cat[i], lots.road[i], lots.centre[i] + 1
        if cat in (RES, PUBLIC):
            out[i] = f"Số {number[i]}, Đường số {road + 1}, {hamlet} {centre}, {place}"
        elif cat == ROAD:
            out[i] = f"Đường số {road + 1}, {place}" if road >= 0 else f"Ngõ {-road - 1}, {place}"
        elif cat == RIVER:
            out[i] = f"Sông {SYNTHETIC}, {place}"
        elif cat == CANAL:
            out[i] = f"Kênh số {-road - 1}, {place}"
        elif cat == GARDEN:
            out[i] = f"{hamlet} {centre}, {place}"
        else:
            out[i] = f"Xứ đồng số {centre}, {place}"
    return out, number
