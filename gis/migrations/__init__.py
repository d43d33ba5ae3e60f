"""Alembic migrations of the ioc-gis schema."""
