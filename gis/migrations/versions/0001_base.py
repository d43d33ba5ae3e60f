"""Base: PostGIS, schemas, and every VN-2000 CRS bound to the legal EPSG:6960 datum shift.

PostGIS 3.3 lacks the TM-3 zones 9205–9218, and for the codes it has it lets PROJ choose the
datum shift, which inside the Mekong delta is EPSG:5194 (0.8 m off). Each VN-2000 row is
(re)written from PROJ's own definitions bound to EPSG:6960; see ``gis.crs.SpatialRefRow``.

Revision ID: 0001_base
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from gis.crs import VN2000_CRS, spatial_ref_row

revision = "0001_base"
down_revision = None
branch_labels = None
depends_on = None

SCHEMAS = ("admin", "land", "sensor")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    # What PostGIS shipped, kept so that a downgrade restores it exactly.
    op.execute(
        "CREATE TABLE public.iocgis_srs_original ("
        " srid integer PRIMARY KEY, existed boolean NOT NULL, auth_name varchar(256),"
        " auth_srid integer, srtext varchar(2048), proj4text varchar(2048))"
    )
    bind = op.get_bind()
    for epsg in VN2000_CRS:
        original = bind.execute(
            sa.text(
                "SELECT auth_name, auth_srid, srtext, proj4text FROM spatial_ref_sys"
                " WHERE srid = :srid"
            ),
            {"srid": epsg},
        ).first()
        bind.execute(
            sa.text(
                "INSERT INTO public.iocgis_srs_original"
                " VALUES (:srid, :existed, :auth_name, :auth_srid, :srtext, :proj4text)"
            ),
            {
                "srid": epsg,
                "existed": original is not None,
                **dict(
                    zip(
                        ("auth_name", "auth_srid", "srtext", "proj4text"),
                        original or (None, None, None, None),
                        strict=True,
                    )
                ),
            },
        )
        row = spatial_ref_row(epsg)
        bind.execute(
            sa.text(
                "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)"
                " VALUES (:srid, :auth_name, :auth_srid, :srtext, :proj4text)"
                " ON CONFLICT (srid) DO UPDATE SET auth_name = EXCLUDED.auth_name,"
                " auth_srid = EXCLUDED.auth_srid, srtext = EXCLUDED.srtext,"
                " proj4text = EXCLUDED.proj4text"
            ),
            row.__dict__,
        )


def downgrade() -> None:
    op.execute(
        "DELETE FROM spatial_ref_sys WHERE srid IN"
        " (SELECT srid FROM public.iocgis_srs_original WHERE NOT existed)"
    )
    op.execute(
        "UPDATE spatial_ref_sys s SET auth_name = o.auth_name, auth_srid = o.auth_srid,"
        " srtext = o.srtext, proj4text = o.proj4text"
        " FROM public.iocgis_srs_original o WHERE o.existed AND o.srid = s.srid"
    )
    op.execute("DROP TABLE public.iocgis_srs_original")
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
