"""Rules for the pre-2025 → 2025 mappings: former provinces, former communes, TM-3 zones.

Pure functions over rows of the shipped mapping CSVs; every data problem they
meet is appended to ``problems`` as one readable line instead of being silently dropped.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from gis.crs import tm3_zone
from gis.errors import ImportFileError


@dataclass(frozen=True)
class FormerCommune:
    """One legacy commune → one current commune (a divided commune has several)."""

    code: str
    name: str
    district_code: str | None
    district_name: str | None
    former_province_code: str
    commune_code: str
    divided: bool
    #: Successor as the mapping file names it: new province code and full commune name.
    successor_province: str
    successor_name: str

    def row(self) -> tuple[str | bool | None, ...]:
        """The ``admin.former_communes`` row."""
        return (
            self.code,
            self.name,
            self.district_code,
            self.district_name,
            self.former_province_code,
            self.commune_code,
            self.divided,
        )


def former_province_rows(
    mapping: Iterable[Mapping[str, str]],
    meridians: Iterable[Mapping[str, str]],
    provinces: set[str],
) -> list[tuple[str, str, str, float, int]]:
    """``admin.former_provinces`` rows: old code, name, new province, meridian, TM-3 EPSG.

    ``mapping`` are the 63 → 34 rows, ``meridians`` the Circular 973 rows; both must list the
    same old provinces, and every new province must be one of ``provinces``.
    """
    mapping = list(mapping)
    meridian = {r["ma_tinh_cu"]: float(r["kinh_tuyen_truc"]) for r in meridians}
    if {r["ma_tinh_cu"] for r in mapping} != set(meridian):
        raise ImportFileError(
            "the province mapping and the central meridian table list other former provinces"
        )
    rows = []
    for r in mapping:
        old, new = r["ma_tinh_cu"], r["ma_tinh_moi"]
        if new not in provinces:
            raise ImportFileError(f"former province {old} maps to unknown province {new}")
        name = r["ten_tinh_cu"].removeprefix("Tỉnh ").removeprefix("Thành phố ")
        rows.append((old, name, new, meridian[old], tm3_zone(meridian[old])))
    return rows


def name_key(name: str) -> str:
    """Compare Vietnamese names by their NFC form, case-insensitively."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def parse_former_communes(
    rows: Iterable[Mapping[str, str]], former_provinces: set[str], problems: list[str]
) -> list[FormerCommune]:
    """Parse the ward-mapping rows; rows without a legacy commune code are reported, not kept."""
    out: list[FormerCommune] = []
    no_commune: list[str] = []
    unknown: Counter[str] = Counter()
    for r in rows:
        if not r["wardCode"]:
            # Island districts that had no commune level: nothing to key a former commune on.
            no_commune.append(f"{r['district']} → {r['newWardCode']}")
            continue
        if r["provinceCode"] not in former_provinces:
            unknown[r["provinceCode"]] += 1
            continue
        out.append(
            FormerCommune(
                code=r["wardCode"],
                name=r["ward"],
                district_code=r["districtCode"] or None,
                district_name=r["district"] or None,
                former_province_code=r["provinceCode"],
                commune_code=r["newWardCode"],
                divided=r["isDividedWard"] == "True",
                successor_province=r["newProvinceCode"],
                successor_name=r["newWard"],
            )
        )
    if no_commune:
        problems.append(
            f"{len(no_commune)} legacy districts had no commune code and are not stored as "
            f"former communes: {'; '.join(no_commune)}"
        )
    if unknown:
        problems.append(f"mapping rows with unknown former province codes skipped: {dict(unknown)}")
    return out


def resolve_successors(
    former: list[FormerCommune], current: Mapping[tuple[str, str], str], problems: list[str]
) -> list[FormerCommune]:
    """Repair successor codes that are not current communes by name within the province.

    ``current`` maps (province code, full commune name) → current commune code. A successor
    code missing from the 2025 boundaries (e.g. 06970 for Xã Ba Chẽ, which the geometry codes
    06978) is replaced by the one current commune of the same name in the same province; when
    there is none the rows are kept as given (``successors()`` flags them as not current).
    """
    codes = set(current.values())
    by_name = {(p, name_key(n)): c for (p, n), c in current.items()}
    fixed: dict[str, str | None] = {}
    out = []
    for f in former:
        if f.commune_code in codes:
            out.append(f)
            continue
        if f.commune_code not in fixed:
            match = by_name.get((f.successor_province, name_key(f.successor_name)))
            fixed[f.commune_code] = match
            users = sum(1 for g in former if g.commune_code == f.commune_code)
            where = f"{f.successor_name}, province {f.successor_province}"
            problems.append(
                f"successor {f.commune_code} ({where}) of {users} legacy communes is not a "
                + (
                    f"current commune code; matched by name to {match}"
                    if match
                    else "current commune code and no current commune has that name; kept as given"
                )
            )
        new = fixed[f.commune_code]
        out.append(replace(f, commune_code=new) if new else f)
    return out


def mark_divided(former: list[FormerCommune], problems: list[str]) -> list[FormerCommune]:
    """Drop duplicate (legacy, successor) pairs; ``divided`` = the legacy code has several rows."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for f in former:
        key = (f.code, f.commune_code)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    if len(unique) != len(former):
        problems.append(f"{len(former) - len(unique)} duplicate legacy → 2025 rows dropped")
    successors: Counter[str] = Counter(f.code for f in unique)
    disagree = sorted({f.code for f in unique if f.divided != (successors[f.code] > 1)})
    if disagree:
        problems.append(
            f"isDividedWard disagrees with the number of successors for {len(disagree)} legacy "
            f"communes (e.g. {', '.join(disagree[:5])}); the number of successors is used"
        )
    return [
        f if f.divided == (successors[f.code] > 1) else replace(f, divided=not f.divided)
        for f in unique
    ]


def district_origins(rows: Iterable[Mapping[str, str]]) -> list[tuple[str, str]]:
    """(current commune, former province) of mapping rows naming a district but no commune.

    Island districts without communes (Cồn Cỏ, Côn Đảo, …) became đặc khu; their former
    province still decides the đặc khu's TM-3 zone.
    """
    return [(r["newWardCode"], r["provinceCode"]) for r in rows if not r["wardCode"]]


def assign_tm3_srids(
    commune_province: Mapping[str, str],
    origins: Iterable[tuple[str, str]],
    zone_of_former_province: Mapping[str, int],
    problems: list[str],
) -> dict[str, int | None]:
    """TM-3 zone (EPSG) of each current commune: the zone most of its legacy units had.

    ``origins`` gives (current commune code, former province code) once per legacy unit. Ties
    go to the zone of the former province whose code the current province kept, then to the
    lowest EPSG code. A commune no legacy unit maps to gets that province zone too.
    """
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    for commune, former_province in origins:
        if former_province in zone_of_former_province:
            votes[commune][zone_of_former_province[former_province]] += 1
    out: dict[str, int | None] = {}
    orphans: list[str] = []
    for code, province in commune_province.items():
        home = zone_of_former_province.get(province)
        if votes[code]:
            out[code] = max(votes[code].items(), key=lambda kv: (kv[1], kv[0] == home, -kv[0]))[0]
        else:
            orphans.append(code)
            out[code] = home
    if orphans:
        problems.append(
            f"{len(orphans)} communes have no legacy commune in the mapping "
            f"({', '.join(sorted(orphans)[:10])}); their TM-3 zone is their province's"
        )
    return out
