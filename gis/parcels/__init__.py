"""Cadastral parcels: import from GIS files, versioned history, and queries."""
