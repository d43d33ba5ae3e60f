"""Signing in to the pages: ``GET/POST /login``, ``POST /logout``, ``GET /auth/me``.

A person signs in with their API key once; the browser then holds an HttpOnly, SameSite=Strict
session cookie (Secure in production) signed with ``IOC_SECRET_KEY`` and valid
``IOC_SESSION_HOURS`` (8 h), re-checked against the key on every request (see
:mod:`maps.auth`). Both POSTs check that Origin/Referer is this site (no cross-site sign-in or
sign-out), and ``next`` only ever leads to a path of this site (no open redirect).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gis.errors import Forbidden, InvalidInput
from maps.auth import DEFAULT_NEXT, authenticator, safe_next, same_origin
from maps.deps import Principal, PrincipalDep, StateDep
from maps.pages.i18n import Lang, pick_lang, strings
from maps.pages.registry import PAGES
from maps.pages.render import templates
from maps.security import add_nonce

router = APIRouter(tags=["auth"])

#: Largest sign-in form accepted (a key is ~60 characters).
MAX_FORM_BYTES = 4096


def _page(
    request: Request, lang: Lang, principal: Principal, next_path: str, error: str = "",
    code: int = 200,
) -> HTMLResponse:  # fmt: skip
    t = strings(lang)
    t["login_hint"] = t["login_hint"].format(hours=f"{request.app.state.settings.session_hours:g}")
    # The pages a signed-in person works in (the wall is an anonymous display).
    nav = [p for p in PAGES if p.nav and not p.anonymous]
    html = templates().get_template("login.html").render(
        t=t, lang=lang, other_lang="en" if lang == "vi" else "vi", principal=principal,
        next=next_path, next_q=quote(next_path, safe=""), error=error, nav=nav,
    )  # fmt: skip
    return HTMLResponse(add_nonce(html), status_code=code, headers={"Cache-Control": "no-store"})


@router.get("/login", response_class=HTMLResponse, summary="Sign-in page")
def login_page(
    request: Request,
    principal: PrincipalDep,
    lang: Annotated[str | None, Query(max_length=8, description="vi (default) or en")] = None,
    next: Annotated[str | None, Query(max_length=2000, description="page to return to")] = None,
) -> HTMLResponse:
    """A form taking an API key; shows who is signed in, if anyone."""
    return _page(request, pick_lang(lang), principal, safe_next(next))


async def _form(request: Request) -> dict[str, str]:
    """The URL-encoded form of a POST (small, one value per field)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput("the form is too large")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the form is malformed") from None
    return {name: values[0] for name, values in fields.items()}


def _check_origin(request: Request) -> None:
    if not same_origin(request):
        raise Forbidden("cross-site request refused (Origin is not this site)")


@router.post("/login", summary="Open a page session with an API key (form: api_key, next)")
async def login(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    """Check the key, set the session cookie and return to ``next`` (a path of this site)."""
    _check_origin(request)
    form = await _form(request)
    lang, next_path = pick_lang(form.get("lang")), safe_next(form.get("next"))
    auth = authenticator(request.app)
    key = form.get("api_key", "").strip()
    found = await auth.check_key(state, key)
    if found is None:
        error = strings(lang)["bad_key"]
        return _page(request, lang, principal, next_path, error, code=401)
    response = RedirectResponse(next_path, status_code=303)
    auth.set_session_cookie(response, auth.session_token(key, *found))
    return response


@router.post("/logout", summary="Close the page session")
def logout(request: Request) -> Response:
    """Clear the session cookie and go to the sign-in page."""
    _check_origin(request)
    response = RedirectResponse(f"/login?next={quote(DEFAULT_NEXT, safe='')}", status_code=303)
    authenticator(request.app).clear_session_cookie(response)
    return response


@router.get("/auth/me", summary="Who is calling")
def me(principal: PrincipalDep) -> dict[str, str]:
    """The caller's subject, role and how it proved it (anonymous, api_key, jwt, session)."""
    return {"subject": principal.subject, "role": principal.role, "method": principal.method}
