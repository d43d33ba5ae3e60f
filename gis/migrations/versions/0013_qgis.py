"""Case- and accent-insensitive search (CQL2 ``CASEI``/``ACCENTI``): a folding function, indexed.

``layers.fold_accents(text)`` removes every combining mark after Unicode canonical
decomposition (NFD) and folds ``đ/Đ`` (a letter of its own, not a marked ``d``) to ``d/D``: so
``Ba Đình`` → ``Ba Dinh``. It is IMMUTABLE (``normalize``, ``regexp_replace`` and ``translate``
are), unlike the ``unaccent`` extension's function, so expression indexes may use it, and it
needs no extension. Indexed: ``lower(fold_accents(name))`` of communes and of current parcels'
addresses, with ``text_pattern_ops`` for prefix ``LIKE`` (the pages' search boxes).

Revision ID: 0013_qgis
Revises: 0008_access
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0013_qgis"
down_revision = "0008_access"
branch_labels = None
depends_on = None

READER = "iocgis_reader"

UPGRADE = r"""
CREATE FUNCTION layers.fold_accents(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT translate(regexp_replace(normalize(value, NFD), '[\u0300-\u036f]', '', 'g'),
                     'đĐ', 'dD')
$$;
COMMENT ON FUNCTION layers.fold_accents(text) IS
    'CQL2 ACCENTI: NFD, combining marks removed, đ/Đ → d/D (immutable: indexable)';
CREATE INDEX communes_name_folded_idx
    ON admin.communes (lower(layers.fold_accents(name)) text_pattern_ops);
CREATE INDEX provinces_name_folded_idx
    ON admin.provinces (lower(layers.fold_accents(name)) text_pattern_ops);
CREATE INDEX parcels_address_folded_idx
    ON land.parcels (lower(layers.fold_accents(address)) text_pattern_ops)
    WHERE valid_to IS NULL;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS land.parcels_address_folded_idx;
DROP INDEX IF EXISTS admin.provinces_name_folded_idx;
DROP INDEX IF EXISTS admin.communes_name_folded_idx;
DROP FUNCTION IF EXISTS layers.fold_accents(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    # Functions are executable by PUBLIC by default; said explicitly for the request roles.
    op.execute(f"GRANT EXECUTE ON FUNCTION layers.fold_accents(text) TO {READER}")


def downgrade() -> None:
    op.execute(DOWNGRADE)
