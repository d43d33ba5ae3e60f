"""Data classes of the parcel area: purposes, land users, parcel versions, import summaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: Fields of the import file contract (after --field-map renaming).
REQUIRED_FIELDS: tuple[str, ...] = ("sheet_number", "parcel_number", "land_use")
OPTIONAL_FIELDS: tuple[str, ...] = (
    "commune_code",
    "address",
    "certificate_number",
    "old_sheet_number",
    "old_parcel_number",
    "term",
    "origin",
    "user_name",
    "user_id_number",
    "user_address",
)
CONTRACT_FIELDS: tuple[str, ...] = REQUIRED_FIELDS + OPTIONAL_FIELDS

#: Several land users are separated by this character, aligned across the three user fields.
USER_SEPARATOR = "|"

# Reject reasons (the part before ":" in land.import_rejects.reason; the summary counts by it).
R_MISSING_SHEET = "missing or non-integer sheet number"
R_MISSING_PARCEL = "missing or non-integer parcel number"
R_MISSING_COMMUNE = "missing commune code"
R_UNKNOWN_COMMUNE = "unknown commune"
R_OTHER_COMMUNE = "commune differs from --commune"
R_DUPLICATE = "duplicate key in file"
R_EMPTY = "empty geometry"
R_NOT_POLYGON = "not a polygon"
R_INVALID = "invalid geometry"
R_UNKNOWN_CODE = "unknown land-use code"
R_BAD_PURPOSES = "malformed land-use purposes"
R_AREAS = "purpose areas do not add up to the legal area"
R_OUTSIDE = "outside the commune"
R_SHEET_CRS = "sheet registered in another CRS"
R_BAD_USERS = "land-user fields not aligned"
#: The parcel code (gis/parcels/code.py) is already another current parcel's.
R_CODE_TAKEN = "parcel code already used"


@dataclass(frozen=True)
class Purpose:
    """A land-use purpose of a parcel version (mục đích sử dụng)."""

    code: str
    area_m2: float
    term: str | None = None
    origin: str | None = None
    name_vi: str | None = None
    name_en: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class LandUser:
    """A land user (người sử dụng đất): personal data, returned only when asked for."""

    full_name: str
    id_number: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Parcel:
    """One version of a parcel, with its commune, province, purposes and (optionally) users."""

    id: int
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    sheet_number: int
    parcel_number: int
    legal_area_m2: float
    srid: int
    purposes: tuple[Purpose, ...]
    address: str | None = None
    certificate_number: str | None = None
    old_sheet_number: str | None = None
    old_parcel_number: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    users: tuple[LandUser, ...] | None = None
    geometry_wkt: str | None = None
    #: National parcel identification code (Circular 19/2026/TT-BNNMT Art. 11(3)).
    parcel_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (users left out unless they were asked for)."""
        data = asdict(self)
        if self.users is None:
            data.pop("users")
        if self.geometry_wkt is None:
            data.pop("geometry_wkt")
        return data


@dataclass
class ImportSummary:
    """What an import did: new parcels, new versions, unchanged ones, rejects by reason."""

    import_id: int | None
    source: str
    layer: str | None
    srid: int
    features: int = 0
    added: int = 0
    versioned: int = 0
    unchanged: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        """Number of rejected features, all reasons together."""
        return sum(self.rejected.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "rejected_total": self.rejected_total}
