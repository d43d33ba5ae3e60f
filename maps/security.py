"""Security headers on every response, the pages' CSP nonce, and CORS from the settings.

Content-Security-Policy: only this site ('self') for scripts, styles, fonts, images and
connections. The pages have inline ``<script>``/``<style>`` elements of our own templates:
each response gets a fresh nonce (:func:`csp_nonce`), which the pages' base template writes on
its start script and :func:`add_nonce` puts on the sign-in page's and the API documentation's
elements — so an injected script would not run (no ``'unsafe-inline'`` for scripts).
Only ``style`` *attributes* are allowed inline (``style-src-attr``): the page scripts colour
legend swatches and station pins that way, and CSS cannot run code.

Responses to any caller that sent credentials are ``Cache-Control: private, no-store``, and every
response varies on the credential headers: personal data never sits in a shared cache. A
response whose content depends on who calls (:func:`mark_caller_dependent`: collections,
queryables, items, tiles and TileJSON of layers with role-restricted properties) is
``no-store`` for anonymous callers too: clients that ignore ``Vary`` (QGIS's disk cache) would
otherwise serve the anonymous answer to a later signed-in request, or the reverse.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from contextvars import ContextVar

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.access.roles import ROLES
from layers.catalog import Layer
from maps.auth import SESSION_COOKIE
from maps.config import MapsSettings

_NONCE: ContextVar[str | None] = ContextVar("iocgis_csp_nonce", default=None)

#: The interactive API documentation (Swagger UI, served from its npm package like the pages').
DOCS_PATH = "/api.html"
CREDENTIAL_VARY = "Authorization, X-API-Key, Cookie"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"


#: ``request.state`` flag: this response's content depends on the caller's role.
CALLER_DEPENDENT = "caller_dependent"


def role_dependent(layers: Iterable[Layer]) -> bool:
    """Whether any of ``layers`` (or one of its properties) is seen by some roles only."""
    everyone = frozenset(ROLES)
    return any(
        layer.roles != everyone or any(p.roles != everyone for p in layer.properties)
        for layer in layers
    )


def mark_caller_dependent(request: Request, layers: Iterable[Layer] | None = None) -> None:
    """Mark the response as depending on the caller (when ``layers`` is given: if any of
    them is role-dependent), so that no client may store it (see the module docstring)."""
    if layers is None or role_dependent(layers):
        setattr(request.state, CALLER_DEPENDENT, True)


def csp_nonce() -> str | None:
    """The CSP nonce of the response being built (None outside a request)."""
    return _NONCE.get()


def add_nonce(html: str) -> str:
    """``html`` with this response's nonce on its bare ``<script>`` and ``<style>`` tags.

    Only for HTML our own templates render (autoescaped): text from a request can never
    contain a raw ``<script>`` there, so only our own elements receive the nonce.
    """
    nonce = _NONCE.get()
    if nonce is None:
        return html
    return html.replace("<script>", f'<script nonce="{nonce}">').replace(
        "<style>", f'<style nonce="{nonce}">'
    )


def content_security_policy(nonce: str, frame_ancestors: str) -> str:
    """The CSP of one response: our own origin only, inline code only with this nonce."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def _sent_credentials(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name in (b"authorization", b"x-api-key"):
            return True
        if name == b"cookie" and SESSION_COOKIE.encode() in value:
            return True
    return False


class SecurityHeadersMiddleware:
    """Adds the security headers (pure ASGI, outermost, so error answers get them too)."""

    def __init__(self, app: ASGIApp, settings: MapsSettings) -> None:
        self.app = app
        self.frame_ancestors = settings.frame_ancestors
        self.production = settings.environment == "production"
        legacy = {"'self'": "SAMEORIGIN", "'none'": "DENY"}
        self.x_frame_options = legacy.get(settings.frame_ancestors.strip())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a fresh nonce; add the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        credentials = _sent_credentials(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(MutableHeaders(scope=message), scope, nonce, credentials)
            await send(message)

        token = _NONCE.set(nonce)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            _NONCE.reset(token)

    def _add(self, headers: MutableHeaders, scope: Scope, nonce: str, credentials: bool) -> None:
        headers["Content-Security-Policy"] = content_security_policy(nonce, self.frame_ancestors)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if self.x_frame_options:
            headers["X-Frame-Options"] = self.x_frame_options
        if self.production:
            headers["Strict-Transport-Security"] = HSTS
        state = scope.get("state", {})
        principal = state.get("principal")
        if credentials or (principal is not None and principal.method != "anonymous"):
            headers["Cache-Control"] = "private, no-store"
        elif state.get(CALLER_DEPENDENT):
            headers["Cache-Control"] = "no-store"
        headers.add_vary_header(CREDENTIAL_VARY)


def add_security_middleware(app: FastAPI, settings: MapsSettings) -> None:
    """CORS (only the configured origins; none by default) inside the security headers."""
    add = app.add_middleware
    if settings.cors_origins:
        # No cookies cross-site: other sites' pages authenticate with a bearer token or an
        # X-API-Key header, so allow_credentials stays off (and '*' is refused by the settings).
        add(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Last-Event-ID"],
            max_age=600,
        )
    add(SecurityHeadersMiddleware, settings=settings)
