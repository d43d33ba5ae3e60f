"""The one MetaData every table declaration of :mod:`gis.tables` joins."""

from __future__ import annotations

from sqlalchemy import MetaData

#: Filled by the modules of :mod:`gis.tables` (import the package to get them all).
metadata = MetaData()
