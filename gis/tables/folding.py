"""The accent-folding indexes of migration 0013_qgis (CQL2 ``ACCENTI``/``CASEI`` searches on
commune and province names and parcel addresses, through ``layers.fold_accents``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Table, func, text

from gis.tables.admin import communes, provinces
from gis.tables.land import parcels


def _folded(table: Table, column: str, **kw: Any) -> Index:
    """The index ``<table>_<column>_folded_idx`` of ``lower(layers.fold_accents(column))``,
    with ``text_pattern_ops`` for LIKE prefixes."""
    expr = func.lower(func.layers.fold_accents(table.c[column])).label("folded")
    ops = {"folded": "text_pattern_ops"}
    return Index(f"{table.name}_{column}_folded_idx", expr, postgresql_ops=ops, **kw)


_folded(communes, "name")
_folded(provinces, "name")
_folded(parcels, "address", postgresql_where=text("valid_to IS NULL"))
