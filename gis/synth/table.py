"""The parcels of one commune as a GeoDataFrame with exactly the importer's file fields."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.parcels.model import CONTRACT_FIELDS
from gis.synth.attrs import (
    ORIGIN_FARM,
    ORIGIN_HOUSE,
    TERM_FARM,
    TERM_LONG,
    addresses,
    households,
    land_use_field,
    person_names,
    stable_hash,
)
from gis.synth.fit import Fitted
from gis.synth.layout import FIELD, GARDEN, PUBLIC, RES
from gis.synth.sheets import assign_sheets
from gis.synth.source import CommuneShape

#: Fields written, in order: exactly the parcel importer's file contract, commune first.
FIELDS = ("commune_code", *(f for f in CONTRACT_FIELDS if f != "commune_code"))
#: Share of private parcels with a certificate, and with old sheet/parcel numbers.
CERTIFIED = 0.88
RENUMBERED = 0.35


def _users(
    c: CommuneShape, owner: np.ndarray, address: np.ndarray, house: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``user_name``, ``user_id_number``, ``user_address`` (``|`` between a couple)."""
    n = len(owner)
    names, ids, addrs = (np.full(n, None, dtype=object) for _ in range(3))
    owned = np.flatnonzero(owner >= 0)
    if not len(owned):
        return names, ids, addrs
    households = np.unique(owner[owned])
    couple = (stable_hash(households, int(c.code) + 1) % np.uint64(10)) < np.uint64(6)
    head_name = dict(zip(households, person_names(c.code, 2 * households), strict=True))
    wife = households[couple]
    spouse_name = dict(zip(wife, person_names(c.code, 2 * wife + 1), strict=True))
    home = address[house]
    for i in owned:
        h = int(owner[i])
        person = f"SYN{c.code}{2 * h:07d}"
        where = home[h] if h < len(home) else f"{c.full_name}, {c.province_name}"
        if h in spouse_name:
            names[i] = f"{head_name[h]}|{spouse_name[h]}"
            ids[i] = f"{person}|SYN{c.code}{2 * h + 1:07d}"
            addrs[i] = f"{where}|{where}"
        else:
            names[i], ids[i], addrs[i] = head_name[h], person, where
    return names, ids, addrs


def parcel_frame(fitted: Fitted, c: CommuneShape, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """All parcels of ``c`` with their fields, sorted by sheet and parcel number."""
    lots, geoms = fitted.lots, fitted.geoms
    n = len(lots)
    area = np.round(shapely.area(geoms), 1)
    land_use = land_use_field(lots, area, c.kind, rng)
    address, _ = addresses(lots, c)
    owner = households(lots, rng)
    house = np.flatnonzero(lots.cat == RES)
    names, ids, addrs = _users(c, owner, address, house)
    private = owner >= 0
    titled = (private | (lots.cat == PUBLIC)) & (rng.random(n) < CERTIFIED)
    term = np.full(n, None, dtype=object)
    term[np.isin(lots.cat, (RES, GARDEN, PUBLIC))] = TERM_LONG
    farm = np.flatnonzero(lots.cat == FIELD)
    term[farm] = np.array(TERM_FARM, dtype=object)[rng.integers(0, len(TERM_FARM), len(farm))]
    origin = np.full(n, None, dtype=object)
    origin[np.isin(lots.cat, (FIELD, GARDEN, PUBLIC))] = ORIGIN_FARM
    houses = np.array(ORIGIN_HOUSE, dtype=object)
    origin[house] = houses[rng.integers(0, len(houses), len(house))]
    centre = shapely.point_on_surface(geoms)
    sheet, number = assign_sheets(shapely.get_x(centre), shapely.get_y(centre))
    renumbered = private & (rng.random(n) < RENUMBERED)
    old_sheet = np.full(n, None, dtype=object)
    old_sheet[renumbered] = ((sheet[renumbered] - 1) // 3 + 1).astype(str)
    old_parcel = np.full(n, None, dtype=object)
    old_parcel[renumbered] = rng.integers(1, 1500, int(renumbered.sum())).astype(str)
    frame = pd.DataFrame(
        {
            "commune_code": c.code,
            "sheet_number": sheet,
            "parcel_number": number,
            "land_use": land_use,
            "address": address,
            "certificate_number": None,
            "old_sheet_number": old_sheet,
            "old_parcel_number": old_parcel,
            "term": term,
            "origin": origin,
            "user_name": names,
            "user_id_number": ids,
            "user_address": addrs,
            "_titled": titled,
        }
    )
    frame["geometry"] = shapely.multipolygons(geoms.reshape(-1, 1)).tolist()
    frame = frame.sort_values(["sheet_number", "parcel_number"], kind="stable", ignore_index=True)
    t = frame.pop("_titled").to_numpy()
    frame.loc[t, "certificate_number"] = [f"SYN {c.code}{s:06d}" for s in range(1, t.sum() + 1)]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=f"EPSG:{c.srid}")
