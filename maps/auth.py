"""Authentication: who is calling (API key, SSO token or page session), resolved before routes.

Credentials, first found wins: ``X-API-Key: <key>``; ``Authorization: Bearer <key or JWT>`` (a
value starting ``iocgis_`` is an API key, anything else an SSO token, see :mod:`maps.sso`);
``Authorization: Basic`` with the user name and an API key as password (QGIS's "Basic" method;
over plain HTTP in production only if ``IOC_BASIC_OVER_HTTP``); the page session cookie (set by
``POST /login``). No credentials: anonymous (public role). Invalid credentials of any kind: 401
(a page request is sent to ``/login``), never a silent downgrade.

API keys are checked with ``auth.verify_api_key`` on a connection that never sets a role
(``state.sync_pool``). Answers, valid and invalid, are cached ``IOC_AUTH_CACHE_TTL_S`` seconds
(30 by default) by the key's SHA-256, and concurrent look-ups of one key share one query, so a
burst of tiles costs one query: revoking a key or user takes effect within that TTL. A session
cookie holds the key's SHA-256 (never the key) and is re-checked the same way on every request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import jwt
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gis.access.keys import KEY_PREFIX, averify_hash, averify_key, hash_key, key_id_of
from gis.access.roles import Role
from gis.errors import Forbidden, IocGisError, NotAuthenticated
from maps.basic import BASIC_CHALLENGE, basic_principal
from maps.config import MapsSettings
from maps.deps import ANONYMOUS, MapState, Principal, pooled
from maps.errors import error_response
from maps.sso import TokenVerifier

Verified = tuple[str, Role] | None
Kind = Literal["api_key", "jwt", "session", "basic"]

SESSION_COOKIE = "iocgis_session"
#: Audience of our own session tokens (an SSO token is never accepted as a session).
SESSION_AUDIENCE = "iocgis-session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where a session may be (re)opened or closed even when its cookie no longer verifies.
SESSION_EXEMPT = frozenset({"/login", "/logout"})
DEFAULT_NEXT = "/maps"


class KeyCache:
    """Key look-ups by SHA-256, cached ``ttl`` seconds (bounded); one query per key at once."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Verified]] = OrderedDict()
        self._inflight: dict[bytes, asyncio.Task[Verified]] = {}

    def clear(self) -> None:
        """Forget every cached answer."""
        self._entries.clear()

    async def get(self, key_hash: bytes, fetch: Callable[[], Awaitable[Verified]]) -> Verified:
        """The cached answer for ``key_hash``, else ``fetch()``'s (shared by concurrent callers)."""
        hit = self._entries.get(key_hash)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        task = self._inflight.get(key_hash)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._inflight[key_hash] = task
            task.add_done_callback(lambda t: self._done(key_hash, t))
        # shield: a caller that goes away does not cancel the look-up others wait for.
        return await asyncio.shield(task)

    def _done(self, key_hash: bytes, task: asyncio.Task[Verified]) -> None:
        self._inflight.pop(key_hash, None)
        if task.cancelled() or task.exception() is not None or self.ttl <= 0:
            return
        self._entries[key_hash] = (time.monotonic() + self.ttl, task.result())
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """``value`` if it is a same-site relative path (no open redirect), else ``default``."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    return default if parts.scheme or parts.netloc else value


def same_origin(conn: HTTPConnection) -> bool:
    """Whether the request's Origin (else Referer) is this site (CSRF check of cookie POSTs)."""
    own = f"{conn.url.scheme}://{conn.headers.get('host', '')}".lower()
    origin = conn.headers.get("origin")
    if origin is None:
        referer = urlsplit(conn.headers.get("referer", ""))
        if not referer.scheme or not referer.netloc:
            return False
        origin = f"{referer.scheme}://{referer.netloc}"
    return origin.lower() == own


def wants_html(conn: HTTPConnection, method: str) -> bool:
    """A person's browser asking for a page (sent to /login rather than given a 401)."""
    return method == "GET" and "text/html" in conn.headers.get("accept", "")


def login_url(conn: HTTPConnection) -> str:
    """``/login`` with ``next`` pointing back at the requested page."""
    target = conn.url.path + (f"?{conn.url.query}" if conn.url.query else "")
    return "/login?next=" + quote(target, safe="")


class Authenticator:
    """Resolves a request's credentials to a :class:`Principal`; signs session cookies."""

    def __init__(self, settings: MapsSettings) -> None:
        self.settings = settings
        self.cache = KeyCache(settings.auth_cache_ttl_s)
        self.tokens = TokenVerifier(settings) if settings.jwt_key else None
        production = settings.environment == "production"
        # __Host-: the browser only accepts it Secure, for path / and without a Domain.
        self.cookie_name = ("__Host-" if production else "") + SESSION_COOKIE
        self.cookie_secure = production
        # A key of its own for sessions, derived from IOC_SECRET_KEY (domain separation).
        self._session_key = hmac.new(
            settings.secret_key.encode(), b"iocgis page session v1", hashlib.sha256
        ).digest()

    async def check_key(self, state: MapState, key: str) -> Verified:
        """(name, role) of a valid API key, else None (cached, see the module docstring)."""
        if key_id_of(key) is None:
            return None  # malformed: no query, nothing cached

        async def fetch() -> Verified:
            async with pooled(state, state.sync_pool) as conn:
                return await averify_key(conn, key)

        return await self.cache.get(hash_key(key), fetch)

    async def check_hash(self, state: MapState, key_hash: bytes) -> Verified:
        """(name, role) of the valid key with SHA-256 ``key_hash``, else None (cached)."""

        async def fetch() -> Verified:
            async with pooled(state, state.sync_pool) as conn:
                return await averify_hash(conn, key_hash)

        return await self.cache.get(key_hash, fetch)

    def session_token(self, key: str, subject: str, role: Role) -> str:
        """A signed session token for a verified ``key`` (holds its hash, not the key)."""
        now = int(time.time())
        lifetime = int(self.settings.session_hours * 3600)
        claims = {
            "sub": subject, "role": role, "kid": key_id_of(key), "kh": hash_key(key).hex(),
            "aud": SESSION_AUDIENCE, "iat": now, "exp": now + lifetime,
        }  # fmt: skip
        return jwt.encode(claims, self._session_key, algorithm="HS256")

    def set_session_cookie(self, response: Response, token: str) -> None:
        """Put the session token in an HttpOnly, SameSite=Strict cookie (Secure in production)."""
        response.set_cookie(
            self.cookie_name, token, max_age=int(self.settings.session_hours * 3600), path="/",
            httponly=True, samesite="strict", secure=self.cookie_secure,
        )  # fmt: skip

    def clear_session_cookie(self, response: Response) -> None:
        """Expire the session cookie."""
        response.delete_cookie(
            self.cookie_name, path="/", httponly=True, samesite="strict", secure=self.cookie_secure
        )

    async def _session(self, state: MapState, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._session_key, algorithms=["HS256"], audience=SESSION_AUDIENCE,
                options={"require": ["exp", "sub", "kh"]},
            )  # fmt: skip
            key_hash = bytes.fromhex(claims["kh"])
        except (jwt.PyJWTError, ValueError, TypeError):
            raise NotAuthenticated("the session is invalid or expired; sign in again") from None
        found = await self.check_hash(state, key_hash)
        if found is None:
            raise NotAuthenticated("the session's key is no longer valid; sign in again")
        return Principal(found[0], found[1], "session")

    def credentials(self, conn: HTTPConnection) -> tuple[Kind, str] | None:
        """The credentials a request carries (see the module docstring for the order)."""
        api_key = conn.headers.get("x-api-key")
        if api_key is not None:
            return "api_key", api_key.strip()
        authorization = conn.headers.get("authorization")
        if authorization is not None:
            return self._authorization(conn, authorization)
        token = conn.cookies.get(self.cookie_name)
        return ("session", token) if token else None

    def _authorization(self, conn: HTTPConnection, header: str) -> tuple[Kind, str]:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "basic" and value:
            plain = self.settings.environment == "production" and conn.url.scheme != "https"
            if plain and not self.settings.basic_over_http:
                raise NotAuthenticated("HTTP Basic is refused over plain HTTP here; use https")
            return "basic", value
        if scheme.lower() != "bearer" or not value:
            raise NotAuthenticated("unsupported Authorization header; use Bearer or Basic")
        return ("api_key" if value.startswith(KEY_PREFIX) else "jwt"), value

    async def resolve(self, state: MapState, kind: Kind, value: str) -> Principal:
        """The principal of credentials ``value`` of ``kind``; NotAuthenticated if invalid."""
        if kind == "session":
            return await self._session(state, value)
        if kind == "basic":
            return await basic_principal(value, lambda key: self.check_key(state, key))
        if kind == "jwt":
            if self.tokens is None:
                raise NotAuthenticated("bearer tokens are not accepted here (no SSO configured)")
            identity = self.tokens.verify(value)
            return Principal(identity.subject, identity.role, "jwt")
        found = await self.check_key(state, value)
        if found is None:
            raise NotAuthenticated("invalid API key (unknown, revoked or expired)")
        return Principal(found[0], found[1], "api_key")


class AuthMiddleware:
    """Sets ``request.state.principal`` (pure ASGI); answers 401/403 itself when it must."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolve the caller, then run the app (or answer the failure)."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        method = scope.get("method", "GET")
        kind: Kind | None = None
        try:
            found = self.auth.credentials(conn)
            principal = ANONYMOUS
            if found is not None:
                kind, value = found
                state: MapState = conn.app.state.maps
                try:
                    principal = await self.auth.resolve(state, kind, value)
                except NotAuthenticated:
                    if kind != "session" or conn.url.path not in SESSION_EXEMPT:
                        raise
            unsafe = principal.method == "session" and method not in SAFE_METHODS
            if unsafe and not same_origin(conn):
                raise Forbidden("cross-site request refused (Origin is not this site)")
        except IocGisError as exc:
            if scope["type"] == "websocket":  # 1008: policy violation
                await send({"type": "websocket.close", "code": 1008})
                return
            await self._failure(conn, method, exc, kind)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _failure(
        self, conn: HTTPConnection, method: str, exc: IocGisError, kind: Kind | None
    ) -> Response:
        response: Response
        if isinstance(exc, NotAuthenticated) and wants_html(conn, method):
            response = RedirectResponse(login_url(conn), status_code=303)
        else:
            response = error_response(exc)
            # GIS clients (QGIS, GDAL) learn they may answer with Basic; a browser's own fetches
            # (they send Sec-Fetch-*) do not, so no page ever pops the browser's login dialog.
            if isinstance(exc, NotAuthenticated) and "sec-fetch-mode" not in conn.headers:
                response.headers.append("WWW-Authenticate", BASIC_CHALLENGE)
        if isinstance(exc, NotAuthenticated) and kind == "session":
            self.auth.clear_session_cookie(response)
        return response


def authenticator(app: Any) -> Authenticator:
    """The app's :class:`Authenticator` (set by the app factory)."""
    auth: Authenticator = app.state.auth
    return auth
