"""Read one MicroStation DGN V7 map sheet with GDAL: boundary lines and label texts.

A cadastral sheet (Circular 19/2026/TT-BNNMT Art. 6(1): survey results are loaded "vào tệp định
dạng DGN theo từng mảnh bản đồ") draws parcel boundaries as line strings (or closed shapes) on
one level and each parcel's number, land-use code and area as text elements inside it. GDAL's
DGN driver reads V7 (ISO-8859-1 era) files only; a V8 file is an OLE compound document that
needs the proprietary ODA library, so it gets a clear message instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely

from gis.errors import ImportFileError

#: The level of parcel boundaries. Circular 26/2024/TT-BTNMT's level table (its annex of map
#: objects) could not be read here; third-party cadastral tools cite level 10 for "ranh giới
#: thửa đất" from it (see docs/dgn.md). Overridable per import.
BOUNDARY_LEVEL = 10
#: The level our export writes labels on: our choice, no table was found for it; the import
#: reads labels from every level unless told one.
LABEL_LEVEL = 13

#: DGN element types GDAL reports (DGN V7 format): texts, lines and closed shapes.
TEXT_TYPES = frozenset({17})
LINE_TYPES = frozenset({3, 4, 12})
SHAPE_TYPES = frozenset({6, 14})

_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
V8_HELP = (
    "{name} is a DGN V8 file, which open GDAL cannot read (it needs the proprietary ODA"
    " library). In MicroStation open the sheet and choose File > Save As, 'Save as type:"
    " MicroStation V7 DGN (*.dgn)', then import the V7 copy"
)


@dataclass(frozen=True)
class Label:
    """One text element: its insertion point, raw bytes as stored and level."""

    point: shapely.Point
    raw: bytes
    level: int


@dataclass(frozen=True)
class SheetDrawing:
    """The elements of one sheet that the parcel builder needs."""

    path: Path
    lines: np.ndarray  # shapely LineStrings on the boundary level
    labels: tuple[Label, ...]


def check_v7(path: Path) -> None:
    """Refuse what is no DGN V7 file, with a message saying how to get one."""
    if not path.exists():
        raise ImportFileError(f"{path.name}: no such file")
    head = path.read_bytes()[:8]
    if head == _OLE_MAGIC:
        raise ImportFileError(V8_HELP.format(name=path.name))
    # A V7 design file opens with its type-9 control block: bytes 08 09 (or a 3D C8 09).
    if len(head) < 4 or head[1] != 0x09 or head[0] not in (0x08, 0xC8):
        raise ImportFileError(f"{path.name} is not a MicroStation DGN V7 design file")


def read_sheet(
    path: str | Path, *, boundary_level: int = BOUNDARY_LEVEL, label_level: int | None = None
) -> SheetDrawing:
    """Read the boundary lines and the labels of one DGN V7 sheet."""
    p = Path(path)
    check_v7(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # latin-1 hands every text byte through unchanged: the label decoder decides.
            frame = pyogrio.read_dataframe(p, encoding="latin-1")
    except pyogrio.errors.DataSourceError as exc:
        raise ImportFileError(f"{p.name}: GDAL cannot read it as DGN ({exc})") from None
    if frame.empty:
        raise ImportFileError(f"{p.name} holds no elements")
    kinds = frame["Type"].to_numpy()
    levels = frame["Level"].to_numpy()
    geoms = frame.geometry.to_numpy()
    on_boundary = levels == boundary_level
    line_mask = on_boundary & np.isin(kinds, list(LINE_TYPES))
    shape_mask = on_boundary & np.isin(kinds, list(SHAPE_TYPES))
    lines = list(geoms[line_mask])
    lines += [shapely.boundary(g) for g in geoms[shape_mask] if g is not None]
    text_mask = np.isin(kinds, list(TEXT_TYPES))
    if label_level is not None:
        text_mask &= levels == label_level
    texts = frame.loc[text_mask, "Text"].to_numpy()
    labels = tuple(
        Label(shapely.Point(shapely.get_coordinates(g)[0]), str(t).encode("latin-1"), int(lv))
        for g, t, lv in zip(geoms[text_mask], texts, levels[text_mask], strict=True)
        if g is not None and isinstance(t, str) and t.strip()
    )
    flat = shapely.get_parts(np.array([g for g in lines if g is not None], dtype=object))
    if not len(flat):
        raise ImportFileError(
            f"{p.name} has no boundary lines on level {boundary_level} (give --level)"
        )
    return SheetDrawing(p, flat, labels)
