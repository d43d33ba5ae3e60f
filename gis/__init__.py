"""Spatial data core: settings, database, tables and migrations, CRS, admin units, parcels."""
