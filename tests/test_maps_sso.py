"""SSO bearer tokens (JWT): HS256, RS256, ES256 from a JWKS file, failures, role mapping."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from gis.errors import ConfigurationError
from maps.app import create_app
from tests.fixtures.web import maps_settings

HS_SECRET = "an-sso-shared-secret-" + "x" * 48
AUDIENCE, ISSUER = "iocgis", "https://sso.example.gov.vn/realms/tnmt"
ROLE_MAP = {"cb_diachinh": "land", "cb_moitruong": "environment", "qtv": "admin"}


def me(client: TestClient, **headers: str) -> dict[str, str]:
    r = client.get("/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- SSO tokens (JWT) -------------------------------------------------------------------------


def _claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "f3b1c2d4", "preferred_username": "nguyen.van.a", "aud": AUDIENCE, "iss": ISSUER,
        "iat": now, "exp": now + 300, "realm_access": {"roles": ["cb_diachinh", "offline_access"]},
    }  # fmt: skip
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def _sso_app(database_url: str, key: str, algorithms: list[str]) -> TestClient:
    settings = maps_settings(
        database_url, listen=False, jwt_key=key, jwt_algorithms=algorithms, jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER, jwt_role_claim="realm_access.roles", jwt_role_map=ROLE_MAP,
    )  # fmt: skip
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_jwt_hs256_role_mapping_and_failures(database_url, web_data):
    with _sso_app(database_url, HS_SECRET, ["HS256"]) as c:

        def call(token: str) -> int:
            return c.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code

        good = jwt.encode(_claims(), HS_SECRET, algorithm="HS256")
        assert me(c, Authorization=f"Bearer {good}") == {
            "subject": "nguyen.van.a", "role": "land", "method": "jwt"
        }  # fmt: skip
        assert call(jwt.encode(_claims(aud="another-app"), HS_SECRET, "HS256")) == 401
        assert call(jwt.encode(_claims(iss="https://evil.example"), HS_SECRET, "HS256")) == 401
        assert call(jwt.encode(_claims(), "another-secret-" + "y" * 50, "HS256")) == 401
        assert call(jwt.encode(_claims(exp=int(time.time()) - 120), HS_SECRET, "HS256")) == 401
        assert call(jwt.encode(_claims(exp=None), HS_SECRET, "HS256")) == 401  # exp required
        assert call(jwt.encode(_claims(aud=None), HS_SECRET, "HS256")) == 401
        assert call(jwt.encode(_claims(), None, algorithm="none")) == 401
        assert call(jwt.encode(_claims(), HS_SECRET, "HS512")) == 401  # not an allowed alg
        assert call(good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")) == 401
        # Within the leeway (30 s) an just-expired token still passes.
        assert call(jwt.encode(_claims(exp=int(time.time()) - 5), HS_SECRET, "HS256")) == 200


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["cb_diachinh"], "land"),
        (["cb_moitruong", "cb_diachinh"], "land"),
        (["cb_diachinh", "qtv"], "admin"),  # admin first: it sees no personal data
        (["offline_access"], "public"),  # a known person with no mapped role: public
        ([], "public"),
        ("cb_moitruong", "environment"),  # a single string claim
    ],
)
def test_jwt_rs256_dotted_claim_and_precedence(database_url, web_data, rsa_key, roles, expected):
    with _sso_app(database_url, _pem(rsa_key), ["RS256"]) as c:
        token = jwt.encode(_claims(realm_access={"roles": roles}), rsa_key, algorithm="RS256")
        got = me(c, Authorization=f"Bearer {token}")
        assert (got["role"], got["method"]) == (expected, "jwt")


def test_jwt_rs256_refuses_confusion_and_foreign_keys(database_url, web_data, rsa_key):
    public_pem = _pem(rsa_key)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with _sso_app(database_url, public_pem, ["RS256"]) as c:

        def call(token: str) -> int:
            return c.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code

        assert call(jwt.encode(_claims(), other, algorithm="RS256")) == 401
        # The public key used as an HMAC secret (algorithm confusion): refused.
        assert call(_hs_with_raw_key(public_pem)) == 401
        assert call(jwt.encode(_claims(), rsa_key, algorithm="RS256")) == 200


def _hs_with_raw_key(secret: str) -> str:
    """An HS256 token signed with ``secret`` by hand (PyJWT refuses PEM secrets itself)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(_claims()).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def test_jwt_jwks_file_with_kid(database_url, web_data, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "ES256"}]}))
    with _sso_app(database_url, f"file:{jwks}", ["ES256"]) as c:
        token = jwt.encode(_claims(), key, algorithm="ES256", headers={"kid": "k1"})
        assert me(c, Authorization=f"Bearer {token}")["role"] == "land"


def test_jwt_configuration_errors(database_url, tmp_path, rsa_key):
    with pytest.raises(ConfigurationError, match="do not match"):
        _sso_app(database_url, HS_SECRET, ["RS256"])
    with pytest.raises(ConfigurationError, match="do not match"):
        _sso_app(database_url, _pem(rsa_key), ["HS256"])
    private = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    with pytest.raises(ConfigurationError, match="public key"):
        _sso_app(database_url, private, ["RS256"])
    with pytest.raises(ConfigurationError, match="cannot read"):
        _sso_app(database_url, f"file:{tmp_path / 'missing.pem'}", ["RS256"])
    with pytest.raises(ValueError, match="IOC_JWT_AUDIENCE"):
        maps_settings(database_url, jwt_key=HS_SECRET, jwt_algorithms=["HS256"])
    with pytest.raises(ValueError, match="none"):
        maps_settings(database_url, jwt_algorithms=["none"])
