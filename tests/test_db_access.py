"""gis.db: the sync borrow helper, Read run by both styles, the pools' life cycle."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg import sql

from gis.db import Read, arun, borrowed, close_pools, run
from gis.settings import to_libpq_url
from gis.tables import ident
from gis.tables.admin import provinces


def _count_read(code: str) -> Read[int]:
    statement = sql.SQL("SELECT count(*) FROM {} WHERE code = %(code)s").format(ident(provinces))
    return Read(statement, {"code": code}, lambda rows: int(rows[0][0]))


def test_borrowed_lends_a_pooled_autocommit_connection(database_url):
    close_pools()  # a pool of one connection, whatever other modules borrowed before
    pids = set()
    for _ in range(6):  # the pool keeps its sessions: borrowing again opens none
        with borrowed() as lent:
            assert lent.autocommit
            pids.add(lent.info.backend_pid)
    assert len(pids) <= 2  # its minimum, and one it may have opened in the background
    with borrowed(url=database_url) as same_url:
        assert same_url.info.backend_pid in pids
    close_pools()
    with borrowed() as fresh:  # a closed pool is replaced by a new one
        assert fresh.info.backend_pid not in pids
        name = fresh.execute("SELECT current_database()").fetchone()
        assert name == (database_url.rsplit("/", 1)[1],)


def test_borrowed_passes_the_callers_connection_through(conn):
    with borrowed(conn) as c:
        assert c is conn


def test_a_read_gives_the_same_answer_in_both_styles(database_url, conn):
    conn.execute("INSERT INTO admin.provinces (code, name, full_name, kind, geom) VALUES"
                 " ('98', 'Thử', 'Tỉnh Thử', 'tinh', ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))")
    conn.commit()
    try:
        with borrowed() as c:
            assert run(c, _count_read("98")) == 1 and run(c, _count_read("97")) == 0

        async def on_async() -> int:
            async with await psycopg.AsyncConnection.connect(to_libpq_url(database_url)) as ac:
                return await arun(ac, _count_read("98"))

        assert asyncio.run(on_async()) == 1
    finally:
        conn.execute("DELETE FROM admin.provinces WHERE code = '98'")
        conn.commit()


def test_a_read_raises_what_its_shape_raises(conn):
    def none_allowed(rows: list[tuple]) -> int:
        if not rows or rows[0][0] == 0:
            raise LookupError("nothing")
        return int(rows[0][0])

    with pytest.raises(LookupError):
        run(conn, Read(_count_read("97").query, {"code": "97"}, none_allowed))
