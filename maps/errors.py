"""One table mapping domain errors to HTTP status codes, with safe messages."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gis.errors import DatabaseUnavailable, InvalidInput, IocGisError, NotFound, UnknownCRS

log = logging.getLogger("iocgis.maps")

#: Domain error → HTTP status (the first matching class wins; order from specific to general).
STATUS_CODES: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (UnknownCRS, 400),
    (InvalidInput, 400),
    (DatabaseUnavailable, 503),
    (IocGisError, 400),
)


def status_for(exc: Exception) -> int:
    """The HTTP status of a domain error."""
    return next((code for cls, code in STATUS_CODES if isinstance(exc, cls)), 500)


def _body(code: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"code": title, "description": detail},
        status_code=code,
        media_type="application/json",
    )


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    """A domain error: its message is safe to show."""
    code = status_for(exc)
    return _body(code, type(exc).__name__, str(exc))


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error: logged in full, shown as a short safe message."""
    log.error("database error on %s: %s", request.url.path, exc)
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return _body(503, "QueryCanceled", "the query took too long and was cancelled")
    if isinstance(exc, psycopg.OperationalError):
        return _body(503, "DatabaseUnavailable", "the database is unavailable")
    return _body(500, "DatabaseError", "the database could not answer this request")


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers of the error table on ``app``."""
    app.add_exception_handler(IocGisError, domain_error)
    app.add_exception_handler(psycopg.Error, database_error)
