"""SSO bearer tokens (JWT): the configured key, signature and claim checks, role mapping.

The key comes from ``IOC_JWT_KEY``: an HS secret, a PEM public key, or ``file:<path>`` to a PEM
or JWKS file, read once when the app is built (no network at run time: a rotated JWKS is a new
file and a restart). Symmetric and asymmetric algorithms are never mixed with the wrong key
kind (no algorithm confusion) and ``none`` is refused.

The caller's role is read from the dotted claim ``IOC_JWT_ROLE_CLAIM`` and mapped with
``IOC_JWT_ROLE_MAP``; unmapped SSO roles are ignored. A valid token with no mapped role is a
known person with the public role (not an error). Several mapped roles: the first of
:data:`ROLE_PRECEDENCE` wins — admin before land, because admin sees no personal data, so a
person holding both must use a land account to see land users (purpose limitation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from gis.access.roles import ADMIN, ENVIRONMENT, LAND, PUBLIC, Role
from gis.errors import ConfigurationError, NotAuthenticated
from maps.config import MapsSettings

#: Which role a token with several mapped roles gets (first match).
ROLE_PRECEDENCE: tuple[Role, ...] = (ADMIN, LAND, ENVIRONMENT, PUBLIC)
#: Longest subject kept (it goes into the audit log).
MAX_SUBJECT = 200
_SYMMETRIC = ("HS256", "HS384", "HS512")


@dataclass(frozen=True)
class Identity:
    """Who a valid token names and the role it maps to."""

    subject: str
    role: Role


def _read_key_text(value: str) -> str:
    if not value.startswith("file:"):
        return value
    path = Path(value.removeprefix("file:"))
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"IOC_JWT_KEY: cannot read {path}: {exc.strerror}") from None


def _load_keys(text: str, algorithms: list[str]) -> tuple[dict[str | None, Any], bool]:
    """The verification keys by ``kid`` (None: the only key) and whether they are symmetric."""
    stripped = text.strip()
    try:
        if stripped.startswith("{"):
            jwks = jwt.PyJWKSet.from_dict(json.loads(stripped))
            keys: dict[str | None, Any] = {k.key_id: k.key for k in jwks.keys}
            if len(jwks.keys) == 1:
                keys[None] = jwks.keys[0].key
            return keys, False
        if "-----BEGIN" in stripped:
            if "PRIVATE KEY" in stripped:
                raise ConfigurationError(
                    "IOC_JWT_KEY must be the SSO's public key, not its private key"
                )
            return {None: serialization.load_pem_public_key(stripped.encode())}, False
    except (ValueError, jwt.PyJWTError) as exc:
        raise ConfigurationError(f"IOC_JWT_KEY is not a usable key: {exc}") from None
    return {None: stripped}, True


class TokenVerifier:
    """Checks SSO tokens against the configured key, issuer and audience."""

    def __init__(self, settings: MapsSettings) -> None:
        assert settings.jwt_key
        self.keys, symmetric = _load_keys(_read_key_text(settings.jwt_key), settings.jwt_algorithms)
        algorithms = list(settings.jwt_algorithms)
        if symmetric != all(alg in _SYMMETRIC for alg in algorithms) or not algorithms:
            kind = "an HS secret" if symmetric else "a public key"
            raise ConfigurationError(
                f"IOC_JWT_ALGORITHMS {algorithms} do not match IOC_JWT_KEY ({kind}): use HS* "
                "algorithms with a secret and RS*/PS*/ES*/EdDSA with a public key or JWKS"
            )
        self.algorithms = algorithms
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway
        self.role_path = settings.jwt_role_claim.split(".")
        self.role_map = dict(settings.jwt_role_map)

    def _key(self, token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        key = self.keys.get(kid, self.keys.get(None))
        if key is None:
            raise NotAuthenticated("the token's signing key is unknown")
        return key

    def verify(self, token: str) -> Identity:
        """The identity of a valid token; NotAuthenticated for any invalid one."""
        required = ["exp", "aud"] + (["iss"] if self.issuer else [])
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": required},
            )
        except jwt.PyJWTError as exc:
            raise NotAuthenticated(f"invalid token: {_reason(exc)}") from None
        subject = claims.get("preferred_username") or claims.get("sub")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT:
            raise NotAuthenticated("invalid token: no usable subject")
        return Identity(subject, self.role_of(claims))

    def role_of(self, claims: dict[str, Any]) -> Role:
        """Our role for the token's SSO roles (public when none is mapped)."""
        value: Any = claims
        for part in self.role_path:
            value = value.get(part) if isinstance(value, dict) else None
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        mapped = {self.role_map[n] for n in names if isinstance(n, str) and n in self.role_map}
        return next((role for role in ROLE_PRECEDENCE if role in mapped), PUBLIC)


def _reason(exc: jwt.PyJWTError) -> str:
    """A short, safe reason (PyJWT's messages name no secret)."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim}"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "algorithm not allowed"
    return "malformed"
