"""One table mapping domain errors to HTTP status codes, with safe messages.

Nothing internal reaches a client: database errors become a short message, any other exception
a 500 ``{"code": "InternalError", "description": "internal error", "request_id": …}`` whose
full trace is logged under that request id. Validation errors (400) echo at most a short
prefix of the offending input.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.errors import (
    DatabaseUnavailable,
    Forbidden,
    InvalidInput,
    IocGisError,
    NotAuthenticated,
    NotFound,
    UnknownCRS,
)

log = logging.getLogger("iocgis.maps")

#: Domain error → HTTP status (the first matching class wins; order from specific to general).
STATUS_CODES: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (UnknownCRS, 400),
    (InvalidInput, 400),
    (DatabaseUnavailable, 503),
    (IocGisError, 400),
)
#: Sent with every 401 (RFC 6750): credentials go in a bearer header (or X-API-Key).
WWW_AUTHENTICATE = 'Bearer realm="ioc-gis"'
#: Longest piece of a rejected input echoed back in a validation error.
MAX_ECHO = 64


def status_for(exc: Exception) -> int:
    """The HTTP status of a domain error."""
    return next((code for cls, code in STATUS_CODES if isinstance(exc, cls)), 500)


def _body(code: int, title: str, detail: str, **extra: str) -> JSONResponse:
    return JSONResponse(
        {"code": title, "description": detail, **extra},
        status_code=code,
        media_type="application/json",
    )


def error_response(exc: IocGisError) -> JSONResponse:
    """The JSON answer to a domain error (its message is safe to show)."""
    response = _body(status_for(exc), type(exc).__name__, str(exc))
    if isinstance(exc, NotAuthenticated):
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    """A domain error raised by a route or dependency."""
    assert isinstance(exc, IocGisError)
    return error_response(exc)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error: logged in full, shown as a short safe message."""
    log.error("database error on %s: %s", request.url.path, exc)
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return _body(503, "QueryCanceled", "the query took too long and was cancelled")
    if isinstance(exc, psycopg.OperationalError):
        return _body(503, "DatabaseUnavailable", "the database is unavailable")
    if isinstance(exc, psycopg.DataError):
        # SQLSTATE class 22 (division by zero, out of range, bad number…): values reach SQL only
        # as bound parameters, so this is a value of the request (e.g. in a CQL2 filter).
        return _body(400, "InvalidInput", "a value of the request cannot be used in this query")
    return _body(500, "DatabaseError", "the database could not answer this request")


def internal_error_response(path: str, exc: BaseException) -> JSONResponse:
    """Log ``exc`` with its trace under a new request id; answer a bare 500 naming that id."""
    request_id = uuid.uuid4().hex[:16]
    log.error("internal error %s on %s", request_id, path, exc_info=exc)
    return _body(500, "InternalError", "internal error", request_id=request_id)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Any other exception (Starlette's last resort, if one escapes the middleware below)."""
    return internal_error_response(request.url.path, exc)


def _short(value: Any) -> Any:
    """A scalar input cut to :data:`MAX_ECHO` characters; containers are not echoed."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str | bytes):
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…"
    return f"<{type(value).__name__} omitted>"


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """A parameter outside its declared rule: 400 (as OGC API Features requires), our error
    shape plus FastAPI's ``detail`` list, with inputs shortened and no documentation links."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        item = {k: v for k, v in error.items() if k not in ("input", "url", "ctx")}
        if "input" in error:
            item["input"] = _short(error["input"])
        if isinstance(error.get("ctx"), dict):
            item["ctx"] = {
                k: _short(v if isinstance(v, str | int | float) else str(v))
                for k, v in error["ctx"].items()
            }
        errors.append(item)
    summary = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in errors[:5]
    )
    body = {"code": "InvalidParameter", "description": summary, "detail": errors}
    return JSONResponse(jsonable_encoder(body), status_code=400)


class CatchAllMiddleware:
    """Turns an exception that escaped every handler into a safe 500 (inside the headers layer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; on an unhandled exception before the response started, answer 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:  # too late for a clean answer: let the server close the connection
                raise
            response = internal_error_response(scope.get("path", ""), exc)
            await response(scope, receive, send)


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers of the error table on ``app``."""
    app.add_exception_handler(IocGisError, domain_error)
    app.add_exception_handler(psycopg.Error, database_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)
