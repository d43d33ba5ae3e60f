"""Cadastral parcels: import from GIS files, versioned history, and queries.

Public API: ``import_parcels`` (gis.parcels.importer), ``edit_parcel`` (gis.parcels.history),
``parcel_at``, ``parcel_at_xy``, ``get_parcel``, ``list_parcels``, ``land_use_summary``
(gis.parcels.queries); data classes in gis.parcels.model.
"""
