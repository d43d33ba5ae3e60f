"""Land-use codes of Circular 08/2024/TT-BTNMT: the code table, legacy codes, normalisation.

The table ships as ``data/land_use_codes.csv`` (seeded into ``land.land_use_codes`` and
``land.land_use_legacy_codes`` by migration 0004). A row with ``current_code`` set is a legacy
code (BHK, NHK → HNK); only the mappings the reference states are listed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import psycopg

from gis.db import connect
from gis.errors import InvalidInput

CODES_CSV = Path(__file__).resolve().parents[1] / "data" / "land_use_codes.csv"

#: ⚠ Unverified: two public catalogues of Circular 08/2024 (consolidated with 23/2025/TT-BNNMT)
#: disagree on these codes; the names follow vn-standards §5 and were not checked against the
#: signed text.
UNVERIFIED_CODES: tuple[str, ...] = ("DPC", "DSH", "SKN")

GROUPS: tuple[str, ...] = ("agricultural", "non_agricultural", "unused")


@dataclass(frozen=True)
class LandUseCode:
    """One current land-use code with its official Vietnamese and English names."""

    code: str
    name_vi: str
    name_en: str
    group: str
    category: str
    sort_order: int


@dataclass(frozen=True)
class LegacyCode:
    """A code of an earlier circular still met in files, and the current code it maps to."""

    legacy_code: str
    code: str
    note: str


@lru_cache(maxsize=1)
def read_code_table(
    path: Path = CODES_CSV,
) -> tuple[tuple[LandUseCode, ...], tuple[LegacyCode, ...]]:
    """Read the shipped code table: (current codes in official order, legacy codes)."""
    codes: list[LandUseCode] = []
    legacy: list[LegacyCode] = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["current_code"]:
                legacy.append(LegacyCode(row["code"], row["current_code"], row["note"] or ""))
            else:
                codes.append(
                    LandUseCode(
                        row["code"],
                        row["name_vi"],
                        row["name_en"],
                        row["land_group"],
                        row["category"],
                        len(codes) + 1,
                    )
                )
    return tuple(codes), tuple(legacy)


def default_lookup() -> dict[str, str]:
    """Every accepted code (current and legacy) → the current code, from the shipped table."""
    codes, legacy = read_code_table()
    lookup = {c.code: c.code for c in codes}
    lookup.update({lc.legacy_code: lc.code for lc in legacy})
    return lookup


def code_lookup(conn: psycopg.Connection | None = None) -> dict[str, str]:
    """Every accepted code (current and legacy) → the current code, as stored in the database."""
    query = (
        "SELECT code, code FROM land.land_use_codes"
        " UNION ALL SELECT legacy_code, code FROM land.land_use_legacy_codes"
    )
    if conn is None:
        with connect() as own:
            rows = own.execute(query).fetchall()
    else:
        rows = conn.execute(query).fetchall()
    return {str(a).upper(): str(b) for a, b in rows}


def normalise_code(code: str, lookup: dict[str, str] | None = None) -> str:
    """The current code for ``code`` (any case, legacy mapped); InvalidInput when unknown."""
    key = str(code).strip().upper()
    current = (lookup if lookup is not None else default_lookup()).get(key)
    if current is None:
        raise InvalidInput(f"unknown land-use code {code!r}")
    return current


def list_codes(group: str | None = None, url: str | None = None) -> list[LandUseCode]:
    """The current land-use codes in the database, in official order (optionally one group)."""
    if group is not None and group not in GROUPS:
        raise InvalidInput(f"unknown land group {group!r}: use one of {', '.join(GROUPS)}")
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT code, name_vi, name_en, land_group, category, sort_order"
            " FROM land.land_use_codes WHERE %(g)s::text IS NULL OR land_group = %(g)s"
            " ORDER BY sort_order",
            {"g": group},
        ).fetchall()
    return [LandUseCode(*row) for row in rows]
